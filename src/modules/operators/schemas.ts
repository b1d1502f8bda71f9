/** Contract of the operators' registration screening and of the organisation re-sync. */
import { Type, type Static } from 'typebox'
import { PageSchema } from '../../http/pagination.ts'

export const OperatorRegistrationSummarySchema = Type.Object(
  {
    trackingNumber: Type.String(),
    status: Type.Ref('RegistrationStatus'),
    traderType: Type.String(),
    nib: Type.Union([Type.String(), Type.Null()]),
    organisationName: Type.String(),
    applicantName: Type.String(),
    submittedAt: Type.String({ format: 'date-time' }),
    decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'OperatorRegistrationSummary', additionalProperties: false },
)

export const OperatorRegistrationPageSchema = PageSchema('OperatorRegistrationSummary', {
  $id: 'OperatorRegistrationPage',
  description: 'A page of registrations, newest first.',
})

const RegistrationEventSchema = Type.Object(
  {
    event: Type.Union([Type.Literal('submitted'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('refused')]),
    actor: Type.Union([Type.String(), Type.Null()], { description: 'Username of the operator; null for the public submission.' }),
    reason: Type.Union([Type.String(), Type.Null()]),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
)

export const OperatorRegistrationSchema = Type.Object(
  {
    trackingNumber: Type.String(),
    status: Type.Ref('RegistrationStatus'),
    form: Type.Object(
      {
        purpose: Type.String(),
        userType: Type.String(),
        traderType: Type.String(),
        nibKind: Type.String(),
        nib: Type.Union([Type.String(), Type.Null()]),
        npwpKind: Type.String(),
        npwp: Type.Union([Type.String(), Type.Null()], { description: 'Normalised digits. Personal data.' }),
        organisationName: Type.String(),
        businessTypes: Type.Array(Type.String()),
        address: Type.Ref('RegistrationAddress'),
        applicant: Type.Object(
          { fullName: Type.String(), position: Type.String(), identityType: Type.String(), identityNumber: Type.String({ description: 'Personal data.' }) },
          { additionalProperties: false },
        ),
        contact: Type.Object({ email: Type.String(), mobile: Type.String() }, { additionalProperties: false }),
        termsAcceptedAt: Type.String({ format: 'date-time' }),
      },
      { additionalProperties: false },
    ),
    checks: Type.Array(Type.Ref('RegistrationCheck')),
    ossProfile: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'OSS profile seen at submission (without the NIKs of persons in charge).' }),
    powerOfAttorney: Type.Union(
      [
        Type.Object(
          {
            fileName: Type.Union([Type.String(), Type.Null()], { description: 'As sent by the registrant; informational only.' }),
            sizeBytes: Type.Integer(),
            sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            url: Type.String({ description: 'Download (operators and the organisation\'s super admin only).' }),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'Null when none was uploaded (OSS and DJP KSWP confirmed the data).' },
    ),
    organisationId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    superAdmin: Type.Union([Type.Object({ userId: Type.String({ format: 'uuid' }), username: Type.String() }, { additionalProperties: false }), Type.Null()]),
    decisionReason: Type.Union([Type.String(), Type.Null()]),
    submittedAt: Type.String({ format: 'date-time' }),
    decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    history: Type.Array(RegistrationEventSchema, { description: 'Append-only: submission and every decision (who, when, what, why).' }),
  },
  { $id: 'OperatorRegistration', additionalProperties: false },
)
export type OperatorRegistration = Static<typeof OperatorRegistrationSchema>

export const ApproveRegistrationSchema = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 1000, description: 'Recorded with the decision.' })) },
  { $id: 'ApproveRegistration', additionalProperties: false, examples: [{ note: 'Surat kuasa sesuai.' }] },
)
export type ApproveRegistration = Static<typeof ApproveRegistrationSchema>

export const RejectRegistrationSchema = Type.Object(
  { reason: Type.String({ minLength: 5, maxLength: 1000, description: 'Shown to the registrant on tracking.' }) },
  { $id: 'RejectRegistration', additionalProperties: false, examples: [{ reason: 'Surat kuasa tidak ditandatangani direksi.' }] },
)
export type RejectRegistration = Static<typeof RejectRegistrationSchema>

export const OrganisationProfileSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    nib: Type.Union([Type.String(), Type.Null()]),
    npwp: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    legalForm: Type.Union([Type.String(), Type.Null()]),
    address: Type.Union([Type.Ref('RegistrationAddress'), Type.Null()]),
    businessTypes: Type.Array(Type.String()),
    kbli: Type.Array(Type.Object({ code: Type.String(), title: Type.String() }, { additionalProperties: false })),
    ossLastChangedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    ossSyncedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'OrganisationProfile', additionalProperties: false },
)

export const OrganisationSyncResultSchema = Type.Object(
  {
    organisation: Type.Ref('OrganisationProfile'),
    changes: Type.Array(
      Type.Object({ field: Type.String(), before: Type.Unknown(), after: Type.Unknown() }, { additionalProperties: false }),
      { description: 'Fields that differed from OSS; empty when already in step.' },
    ),
    syncedAt: Type.String({ format: 'date-time' }),
    sanctionId: Type.Optional(Type.String({ format: 'uuid', description: 'A platform operator\'s re-sync found an unreported change of an organisation holding business licences: the `profile_change` freeze it applied.' })),
  },
  {
    $id: 'OrganisationSyncResult',
    additionalProperties: false,
    examples: [
      {
        organisation: {
          id: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00',
          nib: '8120000000001',
          npwp: '010000000001000',
          name: 'PT Sandbox Impor Sejahtera',
          legalForm: 'PT',
          address: { street: 'Jl. Medan Merdeka Barat No. 1', city: 'Jakarta Pusat', province: 'DKI Jakarta', postalCode: '10110' },
          businessTypes: ['IMPORTER'],
          kbli: [{ code: '46100', title: 'Perdagangan Besar Atas Dasar Balas Jasa (Fee) Atau Kontrak' }],
          ossLastChangedAt: '2026-01-15T03:00:00.000Z',
          ossSyncedAt: '2026-11-22T08:00:00.000Z',
        },
        changes: [{ field: 'name', before: 'PT Sandbox Impor', after: 'PT Sandbox Impor Sejahtera' }],
        syncedAt: '2026-11-22T08:00:00.000Z',
      },
    ],
  },
)
