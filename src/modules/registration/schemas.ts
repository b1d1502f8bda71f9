/** Contract of account registration: the form, the receipt, and public tracking. */
import { Type, type Static } from 'typebox'

export const PURPOSES = ['transaction', 'api_catalogue_inhouse', 'monitoring_evaluation'] as const
export const USER_TYPES = ['business', 'government', 'foreign_representative', 'individual'] as const
export const TRADER_TYPES = [
  'company',
  'individual_business',
  'government_enterprise',
  'individual',
  'foundation',
  'foreign_embassy',
  'ministry_agency',
] as const
export const NIB_KINDS = ['business_entity', 'individual', 'none'] as const
export const NPWP_KINDS = ['head_office', 'branch', 'other', 'none'] as const
export const BUSINESS_TYPES = ['importer', 'exporter', 'carrier', 'kek'] as const

const literals = <T extends readonly string[]>(values: T, description: string) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description })

export const RegistrationAddressSchema = Type.Object(
  {
    province: Type.String({ minLength: 2, maxLength: 100, examples: ['DKI Jakarta'] }),
    city: Type.String({ minLength: 2, maxLength: 100, description: 'City or regency (kota/kabupaten).', examples: ['Jakarta Pusat'] }),
    street: Type.String({ minLength: 5, maxLength: 300, examples: ['Jl. Medan Merdeka Barat No. 1'] }),
    postalCode: Type.String({ pattern: '^[0-9]{5}$', maxLength: 5, examples: ['10110'] }),
  },
  { $id: 'RegistrationAddress', additionalProperties: false },
)

/** The contract's example form (PT Sandbox Impor Sejahtera); tests build their forms from it too. */
/**
 * The sandbox exporter (fixtures/sandbox-identities.json), not the importer 8120000000001: the
 * README's tester section makes a test organisation for that one, which would then be a duplicate.
 */
export const REGISTRATION_FORM_EXAMPLE = {
  purpose: 'transaction',
  userType: 'business',
  traderType: 'company',
  nibKind: 'business_entity',
  nib: '8120000000010',
  npwpKind: 'head_office',
  npwp: '0010000000010000',
  organisationName: 'PT Sandbox Kopi Ekspor Nusantara',
  businessTypes: ['exporter'],
  address: { province: 'Lampung', city: 'Kota Bandar Lampung', street: 'Jl. Yos Sudarso No. 210', postalCode: '35241' },
  applicant: { fullName: 'Ahmad Fauzi', position: 'Direktur Utama', identityType: 'nik', identityNumber: '1871001408760010' },
  contact: { email: 'ahmad.fauzi@kopi-ekspor.sandbox.test', mobile: '+6281234567890' },
  acceptTerms: true,
}

export const RegistrationFormSchema = Type.Object(
  {
    purpose: literals(PURPOSES, 'Purpose of use: transactions (applications), in-house API Catalogue development, or monitoring and evaluation.'),
    userType: literals(USER_TYPES, 'Kind of user (jenis pengguna).'),
    traderType: literals(
      TRADER_TYPES,
      'Trader type (jenis trader). Decides what is required (Permendag 20/2021 art. 6): company and individual business: NIB and NPWP; government enterprise (BUMN/BUMD) and foundation: NPWP; individual: NPWP or NIK; foreign embassy and ministry/agency: neither.',
    ),
    nibKind: literals(NIB_KINDS, '`none` registers without an NIB, where the trader type allows it.'),
    nib: Type.Optional(Type.String({ maxLength: 20, description: 'Nomor Induk Berusaha: 13 digits. Omit with `nibKind: none`.', examples: ['8120000000010'] })),
    npwpKind: literals(NPWP_KINDS, 'Head office, branch, other; `none` registers without an NPWP where allowed.'),
    npwp: Type.Optional(
      Type.String({
        maxLength: 24,
        description: 'NPWP: 15 digits (may be written 99.999.999.9-999.999) or 16 digits. Stored as digits. Omit with `npwpKind: none`.',
        examples: ['010000000001000'],
      }),
    ),
    organisationName: Type.String({ minLength: 2, maxLength: 200, description: 'Organisation, company or representative office.' }),
    businessTypes: Type.Array(literals(BUSINESS_TYPES, 'Business type.'), { minItems: 1, maxItems: 4, uniqueItems: true }),
    address: Type.Ref('RegistrationAddress'),
    applicant: Type.Object(
      {
        fullName: Type.String({ minLength: 2, maxLength: 200, description: 'With an NIB: must be a person in charge (penanggung jawab) of it in OSS.' }),
        position: Type.String({ minLength: 2, maxLength: 100, examples: ['Direktur Utama'] }),
        identityType: Type.Union([Type.Literal('nik'), Type.Literal('passport')]),
        identityNumber: Type.String({
          minLength: 6,
          maxLength: 24,
          description: 'NIK (16 digits) or passport number. With an NIB: must be the NIK of that person in charge in OSS. Never shown on public tracking.',
        }),
      },
      { additionalProperties: false },
    ),
    contact: Type.Object(
      {
        email: Type.String({ format: 'email', maxLength: 254, description: 'Active address: the approval, username and activation link are sent here.' }),
        mobile: Type.String({ maxLength: 20, description: 'Indonesian mobile number (08…, 628… or +628…).', examples: ['+6281234567890'] }),
      },
      { additionalProperties: false },
    ),
    acceptTerms: Type.Literal(true, {
      description:
        'The applicant accepts the terms: they have read the INSW rules, have the authority to register for the organisation, warrant the data is true and complete, and will not lend the access to others.',
    }),
  },
  { $id: 'RegistrationForm', additionalProperties: false, examples: [REGISTRATION_FORM_EXAMPLE] },
)
export type RegistrationForm = Static<typeof RegistrationFormSchema>

/** The multipart body: documented for the contract, parsed by the route itself. */
export const RegistrationSubmissionSchema = Type.Object(
  {
    form: Type.Ref('RegistrationForm'),
    powerOfAttorney: Type.Optional(
      Type.String({
        format: 'binary',
        contentMediaType: 'application/pdf',
        description:
          'Power of attorney (surat kuasa) from the organisation to the applicant: a PDF of at most 1 MB. Optional when OSS and DJP KSWP confirm the organisation and applicant; required otherwise.',
      }),
    ),
  },
  {
    $id: 'RegistrationSubmission',
    additionalProperties: false,
    description: '`multipart/form-data`: the part `form` holds the form as JSON (`Content-Type: application/json`), the part `powerOfAttorney` the PDF.',
  },
)
export type RegistrationSubmission = { form: RegistrationForm }

export const CheckStatusSchema = Type.Union(
  [Type.Literal('passed'), Type.Literal('failed'), Type.Literal('skipped'), Type.Literal('error')],
  { description: '`error`: the upstream system could not answer; retry later.' },
)

export const RegistrationCheckSchema = Type.Object(
  {
    step: Type.String({ description: 'Check name, in pipeline order: shape, oss, djp, documents, duplicates.', examples: ['oss'] }),
    status: CheckStatusSchema,
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed or was skipped, in the negotiated language.' }),
    errors: Type.Array(Type.Ref('FieldError'), { description: 'Field-level reasons (JSON Pointers into the multipart body).' }),
  },
  { $id: 'RegistrationCheck', additionalProperties: false },
)

export const RegistrationStatusSchema = Type.Union([Type.Literal('pending_review'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('refused')], {
  $id: 'RegistrationStatus',
  description:
    '`pending_review`: checks passed, waiting for a platform operator (announced within 1×24 h); `approved`: the super admin account was mailed; `rejected`: see `decisionReason`; `refused` (operators only, never tracked): the data did not match the OSS/DJP records, kept with the precise reasons; the contact address got only a reference.',
})

const trackingNumberField = Type.String({ pattern: '^REG(-[A-Z2-7]{4}){5}$', examples: ['REG-7KQ2-M4XA-P5RD-3TWE-H6BN'] })

export const RegistrationReceiptSchema = Type.Object(
  {
    trackingNumber: trackingNumberField,
    status: Type.Ref('RegistrationStatus'),
    statusUrl: Type.String({ description: 'Where to track it (public; keep the tracking number private).', examples: ['/v1/registrations/REG-7KQ2-M4XA-P5RD-3TWE-H6BN'] }),
    checks: Type.Array(Type.Ref('RegistrationCheck')),
  },
  {
    $id: 'RegistrationReceipt',
    additionalProperties: false,
    examples: [
      {
        trackingNumber: 'REG-7KQ2-M4XA-P5RD-3TWE-H6BN',
        status: 'pending_review',
        statusUrl: '/v1/registrations/REG-7KQ2-M4XA-P5RD-3TWE-H6BN',
        checks: [
          { step: 'shape', status: 'passed', reason: null, errors: [] },
          { step: 'oss', status: 'passed', reason: null, errors: [] },
          { step: 'djp', status: 'passed', reason: null, errors: [] },
          { step: 'documents', status: 'passed', reason: null, errors: [] },
          { step: 'duplicates', status: 'passed', reason: null, errors: [] },
        ],
      },
    ],
  },
)

export const RegistrationTrackingSchema = Type.Object(
  {
    trackingNumber: trackingNumberField,
    status: Type.Ref('RegistrationStatus'),
    submittedAt: Type.String({ format: 'date-time' }),
    decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    decisionReason: Type.Union([Type.String(), Type.Null()], { description: 'The operator\'s reason, when rejected.' }),
    checks: Type.Array(Type.Ref('RegistrationCheck')),
  },
  {
    $id: 'RegistrationTracking',
    additionalProperties: false,
    description: 'Public view: status and check results only, no personal data.',
    examples: [
      {
        trackingNumber: 'REG-7KQ2-M4XA-P5RD-3TWE-H6BN',
        status: 'pending_review',
        submittedAt: '2026-11-22T08:00:00.000Z',
        decidedAt: null,
        decisionReason: null,
        checks: [{ step: 'shape', status: 'passed', reason: null, errors: [] }],
      },
    ],
  },
)

export const TrackingParamsSchema = Type.Object({ trackingNumber: Type.String({ maxLength: 64, description: 'The tracking (service) number from the submission.' }) }, { additionalProperties: false })
