/** Contract of account activation and first-login completion. */
import { Type, type Static } from 'typebox'

export const NOTIFICATION_CHANNELS = ['sms', 'whatsapp', 'mobile_app', 'website', 'email', 'service_information'] as const

export const EmailVerificationSchema = Type.Object(
  { token: Type.String({ minLength: 20, maxLength: 200, description: 'The `token` of the "Verify email" link in the approval mail.' }) },
  { $id: 'EmailVerification', additionalProperties: false },
)
export type EmailVerification = Static<typeof EmailVerificationSchema>

export const SetPasswordSchema = Type.Object(
  {
    token: Type.String({ minLength: 20, maxLength: 200, description: 'The `token` of the "Set password" link (or of a password-reset link).' }),
    password: Type.String({
      minLength: 8,
      maxLength: 256,
      description: 'At least 8 characters with a digit, an upper-case letter, a lower-case letter and a punctuation character.',
      examples: ['Sandbox#Pass2026'],
    }),
  },
  { $id: 'SetPassword', additionalProperties: false },
)
export type SetPassword = Static<typeof SetPasswordSchema>

export const AccountActivationSchema = Type.Object(
  {
    username: Type.String({ examples: ['USER.20261122.01.00001'] }),
    status: Type.String({ description: '`active` once a password is set.' }),
    emailVerified: Type.Boolean(),
  },
  { $id: 'AccountActivation', additionalProperties: false },
)

export const AccountCompletionSchema = Type.Object(
  {
    emailVerified: Type.Boolean(),
    notificationChannels: Type.Array(Type.String()),
    mobile: Type.Union([Type.String(), Type.Null()]),
    mobileVerified: Type.Boolean(),
    completed: Type.Boolean({ description: 'True once channels are chosen and the mobile number is verified.' }),
    codeExpiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the code just sent expires.' })),
  },
  { $id: 'AccountCompletion', additionalProperties: false },
)

export const CompleteAccountSchema = Type.Object(
  {
    notificationChannels: Type.Array(Type.Unsafe<(typeof NOTIFICATION_CHANNELS)[number]>({ type: 'string', enum: [...NOTIFICATION_CHANNELS] }), {
      minItems: 1,
      maxItems: NOTIFICATION_CHANNELS.length,
      uniqueItems: true,
      description: 'Where to receive notifications: sms, whatsapp, mobile_app, website, email, service_information.',
    }),
    mobile: Type.String({ maxLength: 20, description: 'Indonesian mobile number; a one-time code is sent to it.', examples: ['+6281234567890'] }),
  },
  { $id: 'CompleteAccount', additionalProperties: false, examples: [{ notificationChannels: ['email', 'sms'], mobile: '+6281234567890' }] },
)
export type CompleteAccount = Static<typeof CompleteAccountSchema>

export const VerifyMobileSchema = Type.Object(
  { code: Type.String({ pattern: '^[0-9]{6}$', maxLength: 6, description: 'The 6-digit code sent by SMS.' }) },
  { $id: 'VerifyMobile', additionalProperties: false },
)
export type VerifyMobile = Static<typeof VerifyMobileSchema>
