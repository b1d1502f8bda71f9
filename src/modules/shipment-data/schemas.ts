/**
 * The contract of shipment data that partners push: a surveyor's verification report (Laporan
 * Surveyor) and an insurer's cargo insurance declaration, each for one shipment under an issued
 * permit naming the partner's organisation. Named components, registered once in
 * src/modules/schemas.ts.
 */
import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'

const PERMIT_EXAMPLE = '3f0c6c1e-8d6f-4a7b-9a61-0c2b9e1d4a55'
const REPORT_EXAMPLE = '6a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6'
const DECLARATION_EXAMPLE = '0b7e5a43-2c1d-4e9f-a8b7-c6d5e4f3a2b1'
const SURVEYOR_ORG_EXAMPLE = '5c4b3a29-1807-4f6e-9d5c-4b3a29180706'
const INSURER_ORG_EXAMPLE = '7e6d5c4b-3a29-4180-8f6e-5d4c3b2a1908'

/** Printable ASCII without leading or trailing blanks: references travel through other systems. */
const PRINTABLE = '^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$'

const permitId = (role: 'surveyor' | 'insurer', nibField: string) =>
  Type.String({
    format: 'uuid',
    maxLength: 36,
    description: `The permit the shipment is made under: \`issued\`, and naming your organisation as its ${role} (\`${nibField}\` at submission). Any other permit is \`404\`.`,
    examples: [PERMIT_EXAMPLE],
  })
const shipmentReference = (who: string) =>
  Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: PRINTABLE,
    description: `Your own reference for the shipment (printable ASCII), unique per permit for your organisation: sending it again with the same body answers the stored ${who} (\`200\`), with another body \`409 SHIPMENT_REFERENCE_CONFLICT\`. Retries are safe without an \`Idempotency-Key\`.`,
    examples: ['SHP-2026-0042'],
  })

const partner = (role: string, example: Record<string, unknown>) =>
  Type.Object(
    {
      organisationId: Type.String({ format: 'uuid' }),
      nib: Type.Union([Type.String(), Type.Null()]),
      name: Type.String(),
    },
    { additionalProperties: false, description: `The ${role}'s organisation, which pushed it.`, examples: [example] },
  )

export const SurveyedLineSchema = Type.Object(
  {
    hsCode: Type.String({
      maxLength: 13,
      pattern: '^(?:[0-9]{8}|[0-9]{10}|[0-9]{4}\\.[0-9]{2}\\.[0-9]{2}(?:\\.[0-9]{2})?)$',
      description: 'HS code (BTKI/AHTN), `0901.11.10` or `09011110`: one of the permit\'s commodity lines.',
      examples: ['1511.10.00'],
    }),
    quantity: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000_000_000, description: 'Quantity verified.', examples: [1200] }),
    unit: Type.String({ minLength: 2, maxLength: 3, pattern: '^[A-Z0-9]{2,3}$', description: 'UN/ECE Recommendation 20 unit code (`TNE`, `KGM`, `PCE`…).', examples: ['TNE'] }),
  },
  { $id: 'SurveyedLine', additionalProperties: false, description: 'A commodity line as the surveyor verified it.' },
)

const surveyorReportFields = {
  permitId: permitId('surveyor', 'surveyorNib'),
  shipmentReference: shipmentReference('report'),
  lsNumber: Type.String({ minLength: 1, maxLength: 60, pattern: PRINTABLE, description: 'The Laporan Surveyor (LS) number you issued.', examples: ['LS-SCI/2026/000417'] }),
  inspectedAt: Type.String({ format: 'date-time', maxLength: 40, description: 'When the goods were inspected (RFC 3339, with an offset); not in the future.', examples: ['2026-12-10T02:30:00Z'] }),
  portOfLoading: Type.String({ minLength: 5, maxLength: 5, pattern: '^[A-Z]{5}$', description: 'UN/LOCODE of the port of loading (`IDBLW` Belawan, `IDTPP` Tanjung Priok…).', examples: ['IDBLW'] }),
  result: Type.Union([Type.Literal('compliant'), Type.Literal('non_compliant')], { description: 'The verification result: the shipment matches the permit (`compliant`) or not (`non_compliant`, say why in `findings`).' }),
}

export const SurveyorReportSubmissionSchema = Type.Object(
  {
    ...surveyorReportFields,
    lines: Type.Optional(Type.Array(Type.Ref('SurveyedLine'), { maxItems: 100, description: 'The commodity lines verified; each HS code must be one of the permit\'s.' })),
    findings: Type.Optional(Type.String({ minLength: 1, maxLength: 4000, description: 'What the surveyor found (free text), e.g. the discrepancies behind `non_compliant`.' })),
  },
  {
    $id: 'SurveyorReportSubmission',
    additionalProperties: false,
    description: 'A surveyor\'s verification result for one shipment under an issued permit naming the surveyor\'s organisation.',
    examples: [
      {
        permitId: PERMIT_EXAMPLE,
        shipmentReference: 'SHP-2026-0042',
        lsNumber: 'LS-SCI/2026/000417',
        inspectedAt: '2026-12-10T02:30:00Z',
        portOfLoading: 'IDBLW',
        result: 'compliant',
        lines: [{ hsCode: '1511.10.00', quantity: 1200, unit: 'TNE' }],
      },
    ],
  },
)
export type SurveyedLine = Static<typeof SurveyedLineSchema>
/** `Type.Ref` is `unknown` to Static: the referenced components' own types filled in. */
export type SurveyorReportSubmission = Omit<Static<typeof SurveyorReportSubmissionSchema>, 'lines'> & { lines?: SurveyedLine[] }

const links = (path: string, example: string) => ({
  url: Type.String({ description: 'This item (`GET`).', examples: [`/v1/${path}/${example}`] }),
  permitUrl: Type.String({ description: 'The permit (`GET`; a partner gets the partner view).', examples: [`/v1/permits/${PERMIT_EXAMPLE}`] }),
})

export const SurveyorReportSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    ...links('surveyor-reports', REPORT_EXAMPLE),
    ...surveyorReportFields,
    lines: Type.Array(Type.Ref('SurveyedLine')),
    findings: Type.Union([Type.String(), Type.Null()]),
    surveyor: partner('surveyor', { organisationId: SURVEYOR_ORG_EXAMPLE, nib: '8120000000011', name: 'PT Sandbox Surveyor Indonesia' }),
    receivedAt: Type.String({ format: 'date-time', description: 'When the gateway stored it.' }),
  },
  {
    $id: 'SurveyorReport',
    additionalProperties: false,
    description: 'A surveyor report as stored: seen by the surveyor that pushed it and by the permit\'s owner.',
    examples: [
      {
        id: REPORT_EXAMPLE,
        url: `/v1/surveyor-reports/${REPORT_EXAMPLE}`,
        permitUrl: `/v1/permits/${PERMIT_EXAMPLE}`,
        permitId: PERMIT_EXAMPLE,
        shipmentReference: 'SHP-2026-0042',
        lsNumber: 'LS-SCI/2026/000417',
        inspectedAt: '2026-12-10T02:30:00.000Z',
        portOfLoading: 'IDBLW',
        result: 'compliant',
        lines: [{ hsCode: '1511.10.00', quantity: 1200, unit: 'TNE' }],
        findings: null,
        surveyor: { organisationId: SURVEYOR_ORG_EXAMPLE, nib: '8120000000011', name: 'PT Sandbox Surveyor Indonesia' },
        receivedAt: '2026-12-10T03:00:00.000Z',
      },
    ],
  },
)

export const SurveyorReportPageSchema = PageSchema('SurveyorReport', { $id: 'SurveyorReportPage', description: 'A page of surveyor reports, newest received first.' })

export const InsuredValueSchema = Type.Object(
  {
    amount: Type.String({
      maxLength: 23,
      pattern: '^[0-9]{1,18}(\\.[0-9]{1,4})?$',
      description: 'A decimal string greater than zero, at most 4 decimal places (a plain JSON number is read as its decimal text). Kept as sent.',
      examples: ['2750000.00'],
    }),
    currency: Type.String({ minLength: 3, maxLength: 3, pattern: '^[A-Z]{3}$', description: 'ISO 4217 alphabetic code.', examples: ['USD'] }),
  },
  { $id: 'InsuredValue', additionalProperties: false, examples: [{ amount: '2750000.00', currency: 'USD' }] },
)

const day = (description: string, example: string) => Type.String({ format: 'date', maxLength: 10, description, examples: [example] })

const declarationFields = {
  permitId: permitId('insurer', 'insurerNib'),
  shipmentReference: shipmentReference('declaration'),
  policyNumber: Type.String({ minLength: 1, maxLength: 60, pattern: PRINTABLE, description: 'The policy (or certificate under an open cover policy) number; one policy may cover many shipments.', examples: ['MC-OC/2026/00981'] }),
  insuredValue: Type.Ref('InsuredValue'),
  coverageStart: day('First day of cover (a calendar date).', '2026-12-10'),
  coverageEnd: day('Last day of cover: on or after `coverageStart`, else `422` with the field.', '2027-01-31'),
}

export const InsuranceDeclarationSubmissionSchema = Type.Object(declarationFields, {
  $id: 'InsuranceDeclarationSubmission',
  additionalProperties: false,
  description: 'An insurer\'s cargo insurance declaration for one shipment under an issued permit naming the insurer\'s organisation.',
  examples: [
    {
      permitId: PERMIT_EXAMPLE,
      shipmentReference: 'SHP-2026-0042',
      policyNumber: 'MC-OC/2026/00981',
      insuredValue: { amount: '2750000.00', currency: 'USD' },
      coverageStart: '2026-12-10',
      coverageEnd: '2027-01-31',
    },
  ],
})
export type InsuredValue = Static<typeof InsuredValueSchema>
export type InsuranceDeclarationSubmission = Omit<Static<typeof InsuranceDeclarationSubmissionSchema>, 'insuredValue'> & { insuredValue: InsuredValue }

export const InsuranceDeclarationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    ...links('insurance-declarations', DECLARATION_EXAMPLE),
    ...declarationFields,
    insurer: partner('insurer', { organisationId: INSURER_ORG_EXAMPLE, nib: '8120000000006', name: 'PT Sandbox Asuransi Kargo' }),
    receivedAt: Type.String({ format: 'date-time', description: 'When the gateway stored it.' }),
  },
  {
    $id: 'InsuranceDeclaration',
    additionalProperties: false,
    description: 'An insurance declaration as stored: seen by the insurer that pushed it and by the permit\'s owner.',
    examples: [
      {
        id: DECLARATION_EXAMPLE,
        url: `/v1/insurance-declarations/${DECLARATION_EXAMPLE}`,
        permitUrl: `/v1/permits/${PERMIT_EXAMPLE}`,
        permitId: PERMIT_EXAMPLE,
        shipmentReference: 'SHP-2026-0042',
        policyNumber: 'MC-OC/2026/00981',
        insuredValue: { amount: '2750000.00', currency: 'USD' },
        coverageStart: '2026-12-10',
        coverageEnd: '2027-01-31',
        insurer: { organisationId: INSURER_ORG_EXAMPLE, nib: '8120000000006', name: 'PT Sandbox Asuransi Kargo' },
        receivedAt: '2026-12-10T03:00:00.000Z',
      },
    ],
  },
)

export const InsuranceDeclarationPageSchema = PageSchema('InsuranceDeclaration', { $id: 'InsuranceDeclarationPage', description: 'A page of insurance declarations, newest received first.' })

export const ShipmentDataIdParamsSchema = Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36, description: 'The item\'s id.' }) }, { additionalProperties: false })
export type ShipmentDataIdParams = Static<typeof ShipmentDataIdParamsSchema>

export const PermitShipmentDataParamsSchema = Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36, description: 'The permit id.' }) }, { additionalProperties: false })

export const ShipmentDataListQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    permitId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only the items about this permit.' })),
    shipmentReference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only the items with this shipment reference: finds a push whose answer you did not get.' })),
  },
  { additionalProperties: false },
)
export type ShipmentDataListQuery = Static<typeof ShipmentDataListQuerySchema>

export const PermitShipmentDataQuerySchema = Type.Object({ ...PageQuerySchema }, { additionalProperties: false })
export type PermitShipmentDataQuery = Static<typeof PermitShipmentDataQuerySchema>
