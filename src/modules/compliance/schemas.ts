/** The compliance contract: an organisation's standing, its sanctions, and the operators' actions. */
import { Type, type Static } from 'typebox'
import { PageQuerySchema } from '../../http/pagination.ts'

const Localised = Type.Object({ en: Type.String(), id: Type.String() }, { additionalProperties: false })
const nullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const SanctionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.String({ description: 'The ladder: `business_licence`, `surat_keterangan`, `importer_id`, `surveyor_report`, or `profile_change` (an unreported change of the business profile found by the OSS re-sync).' }),
    step: Type.Integer({ minimum: 1 }),
    code: Type.String({ examples: ['electronic_warning', 'licence_freeze'] }),
    name: Localised,
    blocksSubmissions: Type.Boolean(),
    status: Type.Union([Type.Literal('active'), Type.Literal('lifted'), Type.Literal('waived'), Type.Literal('expired')]),
    reason: Type.String(),
    obligationId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The late report it is for; null when applied by an operator for another cause.' }),
    appliedBy: Type.Union([Type.Literal('system'), Type.Literal('operator')]),
    appliedAt: Type.String({ format: 'date-time' }),
    expiresAt: nullableTime,
    endedAt: nullableTime,
    endReason: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Sanction', additionalProperties: false },
)
export type Sanction = Static<typeof SanctionSchema>

export const ComplianceStandingSchema = Type.Object(
  {
    organisationId: Type.String({ format: 'uuid' }),
    standing: Type.Union([Type.Literal('good'), Type.Literal('warned'), Type.Literal('blocked')], {
      description: '`good`: nothing overdue and no active sanction; `warned`: overdue reports or sanctions that do not block; `blocked`: a sanction refuses new permit applications.',
    }),
    submissionsBlocked: Type.Boolean(),
    howToClear: Type.Union([Localised, Type.Null()], { description: 'What to do, while anything is overdue or active.' }),
    overdueObligations: Type.Integer({ minimum: 0 }),
    activeSanctions: Type.Array(Type.Ref('Sanction')),
    recentlyEnded: Type.Array(Type.Ref('Sanction'), { description: 'The last 20 lifted, waived or expired.' }),
  },
  {
    $id: 'ComplianceStanding',
    additionalProperties: false,
    examples: [
      {
        organisationId: '9b2d7c4e-1f3a-4b5c-8d6e-7f8091a2b3c4',
        standing: 'warned',
        submissionsBlocked: false,
        howToClear: { en: 'Submit the overdue realisation reports (GET /v1/obligations?status=overdue).', id: 'Sampaikan laporan realisasi yang terlambat (GET /v1/obligations?status=overdue).' },
        overdueObligations: 1,
        activeSanctions: [],
        recentlyEnded: [],
      },
    ],
  },
)

export const OperatorComplianceItemSchema = Type.Object(
  {
    organisationId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    nib: Type.Union([Type.String(), Type.Null()]),
    overdueObligations: Type.Integer({ minimum: 0 }),
    activeSanctions: Type.Integer({ minimum: 0 }),
    submissionsBlocked: Type.Boolean(),
  },
  { $id: 'OperatorComplianceItem', additionalProperties: false },
)

export const OperatorComplianceListSchema = Type.Object(
  { items: Type.Array(Type.Ref('OperatorComplianceItem')), next: Type.Union([Type.String(), Type.Null()]) },
  { $id: 'OperatorComplianceList', additionalProperties: false, description: 'Organisations with overdue reports or active sanctions, most sanctions first.' },
)

export const OperatorComplianceQuerySchema = Type.Object(
  { limit: PageQuerySchema.limit, blocked: Type.Optional(Type.Boolean({ description: 'Only organisations whose submissions are blocked.' })) },
  { additionalProperties: false },
)
export type OperatorComplianceQuery = Static<typeof OperatorComplianceQuerySchema>

export const ApplySanctionSchema = Type.Object(
  {
    kind: Type.String({ minLength: 1, maxLength: 40, description: 'A ladder of the timetable (`business_licence`, `surat_keterangan`, `importer_id`, `surveyor_report`, `profile_change`).', examples: ['profile_change'] }),
    step: Type.Integer({ minimum: 1, maximum: 20, examples: [1] }),
    reason: Type.String({ minLength: 3, maxLength: 1000, examples: ['Change of directors in OSS on 2026-11-20 not reported to INSW'] }),
  },
  { $id: 'ApplySanction', additionalProperties: false, examples: [{ kind: 'profile_change', step: 1, reason: 'Change of directors in OSS on 2026-11-20 not reported to INSW' }] },
)
export type ApplySanction = Static<typeof ApplySanctionSchema>

export const OperatorReasonSchema = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 1000, examples: ['Overdue reports received and checked; contact centre ticket 2026-1187'] }) },
  { $id: 'OperatorReason', additionalProperties: false, examples: [{ reason: 'Overdue reports received and checked; contact centre ticket 2026-1187' }] },
)
export type OperatorReason = Static<typeof OperatorReasonSchema>

export const EvaluationResultSchema = Type.Object(
  {
    businessTime: Type.String({ format: 'date-time' }),
    reminders: Type.Integer({ minimum: 0 }),
    sanctions: Type.Integer({ minimum: 0, description: 'Ladder steps applied.' }),
    expired: Type.Integer({ minimum: 0 }),
  },
  { $id: 'ComplianceEvaluationResult', additionalProperties: false },
)

export const OrganisationIdParamsSchema = Type.Object({ orgId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })
export const SanctionIdParamsSchema = Type.Object({ sanctionId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })
export const ObligationIdParamsSchema = Type.Object({ obligationId: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false })
