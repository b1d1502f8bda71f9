/**
 * The realisation reports contract: submit the report of one period of a permit, amend it with a
 * new version (every earlier one kept), read it, list a permit's, and follow its forwarding to
 * INATRADE. Named components, registered in src/modules/schemas.ts.
 */
import { Type, type Static } from 'typebox'

const UNITS = ['KGM', 'TNE', 'GRM', 'LTR', 'MTQ', 'MTK', 'MTR', 'PCE', 'SET', 'PR', 'NPR', 'BG', 'CT', 'DZN', 'RO']

export const RealisationLineSchema = Type.Object(
  {
    hsCode: Type.String({ maxLength: 13, pattern: '^(?:[0-9]{8}|[0-9]{10}|[0-9]{4}\\.[0-9]{2}\\.[0-9]{2}(?:\\.[0-9]{2})?)$', description: 'One of the permit\'s HS codes (8 or 10 digits, dotted or not).', examples: ['7208.51.00'] }),
    description: Type.String({ minLength: 1, maxLength: 500 }),
    quantity: Type.Number({ minimum: 0, maximum: 1e12, description: 'Realised quantity (for an unrealised line: what was planned and not shipped).' }),
    unit: Type.Unsafe<string>({ type: 'string', enum: UNITS, maxLength: 3, description: 'UN/ECE Rec. 20 unit: the permit line\'s unit.' }),
    value: Type.Number({ minimum: 0, maximum: 1e15, description: 'Value of the line (CIF for imports, FOB for exports).' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3, examples: ['USD'] }),
    port: Type.String({ pattern: '^[A-Z]{2}[A-Z2-9]{3}$', maxLength: 5, description: 'UN/LOCODE of the port of discharge (imports) or loading (exports).', examples: ['IDTPP'] }),
    country: Type.String({ pattern: '^[A-Z]{2}$', maxLength: 2, description: 'Country of origin (imports) or destination (exports), ISO 3166-1 alpha-2.', examples: ['CN'] }),
    realised: Type.Boolean({ description: 'false: planned under the permit but not shipped in the period (say why in `reason`). Only realised lines count against the permitted quantity.' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Required when `realised` is false.' })),
  },
  { $id: 'RealisationLine', additionalProperties: false },
)

const LINES = Type.Array(Type.Ref('RealisationLine'), { maxItems: 100, description: 'An empty list is a nil report: nothing moved in the period.' })

const LINES_EXAMPLE = [
  { hsCode: '7208.51.00', description: 'Hot-rolled steel plate', quantity: 120, unit: 'TNE', value: 86400, currency: 'USD', port: 'IDTPP', country: 'CN', realised: true },
  { hsCode: '7210.49.00', description: 'Galvanised steel coil', quantity: 100, unit: 'TNE', value: 95000, currency: 'USD', port: 'IDTPP', country: 'KR', realised: false, reason: 'Shipment postponed by the supplier to January' },
]

export const SubmitRealisationReportSchema = Type.Object(
  {
    period: Type.String({ minLength: 1, maxLength: 20, description: 'The obligation\'s period as `GET /v1/obligations` shows it (`2026-11`, `2027-02/2027-04`, `validity`).', examples: ['2026-11'] }),
    lines: LINES,
  },
  { $id: 'SubmitRealisationReport', additionalProperties: false, examples: [{ period: '2026-11', lines: LINES_EXAMPLE }] },
)
export type SubmitRealisationReport = Static<typeof SubmitRealisationReportSchema>

export const AmendRealisationReportSchema = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why the report is amended (kept with the version).', examples: ['Quantities corrected after the customs declaration (PIB) was final'] }),
    lines: LINES,
  },
  { $id: 'AmendRealisationReport', additionalProperties: false, examples: [{ reason: 'Quantities corrected after the customs declaration (PIB) was final', lines: LINES_EXAMPLE.slice(0, 1) }] },
)
export type AmendRealisationReport = Static<typeof AmendRealisationReportSchema>

const Forwarding = Type.Object(
  {
    status: Type.Union([Type.Literal('pending'), Type.Literal('forwarded'), Type.Literal('failed')], { description: '`pending` (queued or retrying), `forwarded` (INATRADE gave a receipt), `failed` (every retry failed; the contact centre can retry it).' }),
    attempts: Type.Integer({ minimum: 0 }),
    lastError: Type.Union([Type.String(), Type.Null()]),
    receiptNumber: Type.Union([Type.String(), Type.Null()], { description: 'INATRADE\'s receipt number once forwarded.' }),
    forwardedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
)

export const RealisationReportVersionSchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    lines: Type.Array(Type.Ref('RealisationLine')),
    nil: Type.Boolean({ description: 'No lines: nothing moved in the period.' }),
    amendmentReason: Type.Union([Type.String(), Type.Null()]),
    submittedAt: Type.String({ format: 'date-time', description: 'Business time of the submission (what the deadline is measured against).' }),
    submittedBy: Type.Object({ type: Type.Union([Type.Literal('user'), Type.Literal('client')]), id: Type.String() }, { additionalProperties: false }),
    forwarding: Forwarding,
  },
  { $id: 'RealisationReportVersion', additionalProperties: false },
)

export const RealisationReportSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    reportNumber: Type.String({ description: 'The gateway\'s number for the report; INATRADE files version n as `<reportNumber>-v<n>`.', examples: ['RR-2026-000042'] }),
    permitId: Type.String({ format: 'uuid' }),
    obligationId: Type.String({ format: 'uuid' }),
    period: Type.String(),
    late: Type.Boolean({ description: 'The first version came after the deadline.' }),
    currentVersion: Type.Integer({ minimum: 1 }),
    current: Type.Ref('RealisationReportVersion'),
    createdAt: Type.String({ format: 'date-time' }),
    links: Type.Object({ self: Type.String(), versions: Type.String(), permit: Type.String() }, { additionalProperties: false }),
  },
  { $id: 'RealisationReport', additionalProperties: false },
)
export type RealisationReport = Static<typeof RealisationReportSchema>

export const RealisationReportListSchema = Type.Object(
  { items: Type.Array(Type.Ref('RealisationReport')), next: Type.Null() },
  { $id: 'RealisationReportList', additionalProperties: false, description: 'A permit\'s reports, newest period first (one per period: a short list, not paged).' },
)

export const RealisationReportVersionListSchema = Type.Object(
  { items: Type.Array(Type.Ref('RealisationReportVersion')), next: Type.Null() },
  { $id: 'RealisationReportVersionList', additionalProperties: false, description: 'Every version, oldest first.' },
)

export const ReportParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid', maxLength: 36, description: 'The permit id.' }), reportId: Type.String({ format: 'uuid', maxLength: 36 }) },
  { additionalProperties: false },
)
export type ReportParams = Static<typeof ReportParamsSchema>
