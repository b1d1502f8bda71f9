/**
 * The permit API's contract: submission, dry-run validation, the permit as its organisation sees
 * it and as a named surveyor or insurer sees it (the partner view), lists, events, cancel, and
 * receipts. Named components, registered once in src/modules/schemas.ts.
 */
import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'
import { PERMIT_STATUSES } from './status.ts'

const UUID_EXAMPLE = '3f0c6c1e-8d6f-4a7b-9a61-0c2b9e1d4a55'
const ORG_EXAMPLE = '9b2d7c4e-1f3a-4b5c-8d6e-7f8091a2b3c4'
const RECEIPT_EXAMPLE =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6IkJ6M2R3dEZ6b1h6dm5yQ0VOcnJYbk5SQlJUOWNqcWhSZ0x3R3FzR3BlQkEiLCJ0eXAiOiJwZXJtaXQtcmVjZWlwdCtqd3QifQ.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAvb2lkYyIsImlhdCI6MTc5NjE4NzYwMCwicGVybWl0SWQiOiIzZjBjNmMxZS04ZDZmLTRhN2ItOWE2MS0wYzJiOWUxZDRhNTUifQ.c2lnbmF0dXJl'
const PAYLOAD_EXAMPLE = {
  lines: [{ hsCode: '1701.14.00', description: 'Raw cane sugar for refining', quantity: 5000, unit: 'TNE', value: 2750000, currency: 'USD', originCountry: 'TH' }],
  portOfDischarge: 'IDTPP',
  shipmentPeriod: { from: '2027-01-04', to: '2027-03-31' },
  pertekNumber: 'PERTEK-IND/2026/118',
  pertekDate: '2026-11-20',
}
const DOCUMENTS_EXAMPLE = [
  { type: 'NIB', name: 'nib-8120000000001.pdf' },
  { type: 'PROFORMA_INVOICE', name: 'proforma-2026-118.pdf' },
  { type: 'PERTEK', name: 'pertek-ind-2026-118.pdf' },
]
const nib = (description: string) => Type.String({ pattern: '^[0-9]{13}$', maxLength: 13, description, examples: ['8120000000011'] })

export const PermitStatusSchema = Type.Unsafe<(typeof PERMIT_STATUSES)[number]>({
  $id: 'PermitStatus',
  type: 'string',
  enum: [...PERMIT_STATUSES],
  description:
    '`submitted` (accepted, waiting to be forwarded) → `forwarded` → `received` (INATRADE acknowledged) → `under_review` → `approved` → `issued` (the licence is available); or `rejected` (see `decisionReason`), `cancelled` (by the applicant, before a decision), `forwarding_failed` (INATRADE could not be reached after every retry: see `forwarding.lastError`; an operator retry puts it back to `submitted`).',
})

export const PermitDocumentRefSchema = Type.Object(
  {
    type: Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Z][A-Z0-9_]{1,39}$', description: 'A document type the permit type lists (`requiredDocuments[].type`).', examples: ['PROFORMA_INVOICE'] }),
    name: Type.String({ minLength: 1, maxLength: 200, description: 'File or document name.', examples: ['proforma-2026-118.pdf'] }),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, description: 'SHA-256 (hex) of the document, if the submitter keeps it.' })),
    url: Type.Optional(Type.String({ format: 'uri', maxLength: 2048, description: 'Where INATRADE may fetch it (the submitter\'s document store).' })),
  },
  { $id: 'PermitDocumentRef', additionalProperties: false },
)

export const PermitSubmissionSchema = Type.Object(
  {
    permitType: Type.String({ minLength: 2, maxLength: 32, pattern: '^[A-Z][A-Z0-9-]{1,31}$', description: 'The permit type code (`GET /v1/permit-types`).', examples: ['PI-BAJA'] }),
    clientReference: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$',
      description: 'Your own reference for the application (printable ASCII, unique in your organisation): after a timeout, `GET /v1/permits?clientReference=` finds it.',
      examples: ['ERP-PO-2026-00118'],
    }),
    payload: Type.Object(
      {},
      {
        additionalProperties: true,
        maxProperties: 100,
        description: 'The application itself, valid against the permit type\'s `payloadSchema` (commodity lines: HS code, description, quantity, unit, value and currency, countries, port).',
      },
    ),
    surveyorNib: Type.Optional(nib('The NIB of the surveyor that verifies the shipment (required when the type has `surveyorVerification`); the surveyor\'s clients may then read this permit (partner view).')),
    insurerNib: Type.Optional(nib('The NIB of the cargo insurer; its clients may then read this permit (partner view).')),
    documents: Type.Optional(Type.Array(Type.Ref('PermitDocumentRef'), { maxItems: 20, description: 'The documents the type requires, by reference.' })),
  },
  {
    $id: 'PermitSubmission',
    additionalProperties: false,
    description: 'Only what the application is about: the applicant\'s NIB, NPWP, name and address come from the organisation\'s record (synced from OSS) and are never typed here.',
    examples: [
      {
        permitType: 'PI-GULA',
        clientReference: 'ERP-PO-2026-00118',
        payload: PAYLOAD_EXAMPLE,
        documents: DOCUMENTS_EXAMPLE,
      },
    ],
  },
)
export type PermitDocumentRef = Static<typeof PermitDocumentRefSchema>
export type PermitSubmission = Omit<Static<typeof PermitSubmissionSchema>, 'payload' | 'documents'> & { payload: Record<string, unknown>; documents?: PermitDocumentRef[] }

export const PermitCheckSchema = Type.Object(
  {
    step: Type.Union([Type.Literal('shape'), Type.Literal('oss'), Type.Literal('djp_kswp'), Type.Literal('business_rules')], {
      description: 'In pipeline order: `shape` (type known, payload valid against its schema, required documents listed) → `oss` (the organisation\'s NIB active at OSS, its business type fits the type) → `djp_kswp` (NPWP valid at DJP KSWP) → `business_rules` (HS codes allowed by the type, quantities and values positive, periods coherent, surveyor given when the type needs one, surveyor and insurer NIBs known).',
    }),
    status: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('skipped'), Type.Literal('error')], { description: '`error`: the upstream could not answer.' }),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed or was skipped, in the negotiated language.' }),
    errors: Type.Array(Type.Ref('FieldError'), { description: 'Findings; `reason` is `<step>.<finding>` as in the 422 of a submission.' }),
  },
  { $id: 'PermitCheck', additionalProperties: false },
)

export const PermitValidationSchema = Type.Object(
  {
    valid: Type.Boolean({ description: 'True when a submission of this body would be accepted now (apart from `clientReference` uniqueness, checked on submission).' }),
    checks: Type.Array(Type.Ref('PermitCheck')),
  },
  {
    $id: 'PermitValidation',
    additionalProperties: false,
    examples: [
      {
        valid: false,
        checks: [
          { step: 'shape', status: 'passed', reason: null, errors: [] },
          { step: 'oss', status: 'passed', reason: null, errors: [] },
          { step: 'djp_kswp', status: 'passed', reason: null, errors: [] },
          {
            step: 'business_rules',
            status: 'failed',
            reason: 'must be greater than zero',
            errors: [{ pointer: '/payload/lines/0/quantity', in: 'body', detail: 'must be greater than zero', reason: 'business_rules.not_positive' }],
          },
        ],
      },
    ],
  },
)

export const PermitSlaSchema = Type.Object(
  {
    dueAt: Type.String({ format: 'date-time', description: 'Submission plus the type\'s SLA in working days (Asia/Jakarta: weekends, national holidays and cuti bersama excluded).' }),
    remainingWorkingDays: Type.Integer({ description: 'Whole working days after today (WIB) up to the due day: 0 on the due day and once breached. For a decided permit, counted at the decision.' }),
    remainingMs: Type.Number({ description: 'Milliseconds left until `dueAt` (negative once breached: how late it is). For a decided permit, at the decision.' }),
    atRisk: Type.Boolean({ description: 'Not breached and at most 1 working day left.' }),
    breached: Type.Boolean({ description: 'Not decided by the due time.' }),
  },
  { $id: 'PermitSla', additionalProperties: false },
)

export const PermitLicenceSchema = Type.Object(
  {
    number: Type.String({ examples: ['IT.INATRADE/2026/000118'] }),
    issuedAt: Type.String({ format: 'date-time' }),
    validUntil: Type.String({ format: 'date-time' }),
  },
  { $id: 'PermitLicence', additionalProperties: false, description: 'The issued licence as INATRADE sent it.' },
)

const applicant = Type.Object(
  {
    nib: Type.String({ examples: ['8120000000001'] }),
    npwp: Type.String({ examples: ['010000000001000'] }),
    name: Type.String({ examples: ['PT Sandbox Impor Sejahtera'] }),
    address: Type.Union([
      Type.Object({ street: Type.String(), city: Type.String(), province: Type.String(), postalCode: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false, description: 'The organisation\'s record at submission (from OSS), never typed by the submitter.' },
)

const links = {
  statusUrl: Type.String({ description: 'This permit (`GET`).', examples: [`/v1/permits/${UUID_EXAMPLE}`] }),
  eventsUrl: Type.String({ description: 'Its journey (`GET`).', examples: [`/v1/permits/${UUID_EXAMPLE}/events`] }),
}

const PERMIT_EXAMPLE = {
  view: 'owner',
  id: UUID_EXAMPLE,
  referenceNumber: 'PRM-2026-7KQ2M4XAP5',
  permitType: 'PI-GULA',
  clientReference: 'ERP-PO-2026-00118',
  status: 'under_review',
  ...{ statusUrl: `/v1/permits/${UUID_EXAMPLE}`, eventsUrl: `/v1/permits/${UUID_EXAMPLE}/events` },
  applicant: { nib: '8120000000001', npwp: '010000000001000', name: 'PT Sandbox Impor Sejahtera', address: { street: 'Jl. Gatot Subroto Kav. 1', city: 'Jakarta Selatan', province: 'DKI Jakarta', postalCode: '12930' } },
  payload: PAYLOAD_EXAMPLE,
  surveyorNib: null,
  insurerNib: null,
  documents: DOCUMENTS_EXAMPLE,
  submittedAt: '2026-12-02T03:15:00.000Z',
  statusChangedAt: '2026-12-02T03:15:05.000Z',
  sla: { dueAt: '2026-12-09T03:15:00.000Z', remainingWorkingDays: 5, remainingMs: 604_795_000, atRisk: false, breached: false },
  inatradeId: 'INA-2026-000118',
  licence: null,
  decisionReason: null,
  forwarding: { attempts: 1, lastError: null },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  receipt: RECEIPT_EXAMPLE,
}

export const PermitSchema = Type.Object(
  {
    view: Type.Literal('owner', { description: 'The submitting organisation\'s full view.' }),
    id: Type.String({ format: 'uuid' }),
    referenceNumber: Type.String({ description: 'The gateway\'s reference, also sent to INATRADE.', examples: ['PRM-2026-7KQ2M4XAP5'] }),
    permitType: Type.String(),
    clientReference: Type.String(),
    status: Type.Ref('PermitStatus'),
    ...links,
    applicant,
    payload: Type.Object({}, { additionalProperties: true }),
    surveyorNib: Type.Union([Type.String(), Type.Null()]),
    insurerNib: Type.Union([Type.String(), Type.Null()]),
    documents: Type.Array(Type.Ref('PermitDocumentRef')),
    submittedAt: Type.String({ format: 'date-time' }),
    statusChangedAt: Type.String({ format: 'date-time' }),
    sla: Type.Ref('PermitSla'),
    inatradeId: Type.Union([Type.String(), Type.Null()], { description: 'INATRADE\'s application id once it acknowledged the application.' }),
    licence: Type.Union([Type.Ref('PermitLicence'), Type.Null()], { description: 'Once `issued` (the document: `GET /v1/permits/{id}/document`).' }),
    decisionReason: Type.Union([Type.String(), Type.Null()], { description: 'INATRADE\'s reason for a rejection, or the applicant\'s for a cancellation.' }),
    forwarding: Type.Object(
      {
        attempts: Type.Integer({ description: 'Attempts to deliver to INATRADE so far.' }),
        lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed, while forwarding or once `forwarding_failed`.' }),
      },
      { additionalProperties: false },
    ),
    traceId: Type.String({ description: 'W3C trace id of the whole journey (sent to INATRADE in `traceparent`).' }),
    receipt: Type.String({ description: 'The signed receipt answered at submission.' }),
  },
  { $id: 'Permit', additionalProperties: false, examples: [PERMIT_EXAMPLE] },
)

export const PermitPartnerViewSchema = Type.Object(
  {
    view: Type.Union([Type.Literal('surveyor'), Type.Literal('insurer')], { description: 'Why the caller may see it: its organisation is the permit\'s surveyor or insurer.' }),
    id: Type.String({ format: 'uuid' }),
    referenceNumber: Type.String(),
    permitType: Type.String(),
    status: Type.Ref('PermitStatus'),
    statusUrl: links.statusUrl,
    applicant: Type.Object({ nib: Type.String(), name: Type.String() }, { additionalProperties: false }),
    submittedAt: Type.String({ format: 'date-time' }),
    statusChangedAt: Type.String({ format: 'date-time' }),
    licence: Type.Union([Type.Ref('PermitLicence'), Type.Null()]),
  },
  {
    $id: 'PermitPartnerView',
    additionalProperties: false,
    description:
      'What a surveyor\'s or insurer\'s machine client sees of a permit naming its organisation: which application it is (reference, type, applicant NIB and name), where it stands, and the licence number and validity once issued, to match its verification report or policy to the licence. Never the payload, values, NPWP, address, client reference, receipt or events: those are the applicant\'s.',
    examples: [
      {
        view: 'surveyor',
        id: UUID_EXAMPLE,
        referenceNumber: 'PRM-2026-7KQ2M4XAP5',
        permitType: 'PE-SAWIT',
        status: 'issued',
        statusUrl: `/v1/permits/${UUID_EXAMPLE}`,
        applicant: { nib: '8120000000010', name: 'PT Sandbox Kopi Ekspor Nusantara' },
        submittedAt: '2026-12-02T03:15:00.000Z',
        statusChangedAt: '2026-12-03T02:00:00.000Z',
        licence: { number: 'ET.INATRADE/2026/000031', issuedAt: '2026-12-03T02:00:00.000Z', validUntil: '2027-06-01T00:00:00.000Z' },
      },
    ],
  },
)

export const PermitSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    referenceNumber: Type.String(),
    permitType: Type.String(),
    clientReference: Type.Optional(Type.String({ description: 'Absent in the partner view.' })),
    status: Type.Ref('PermitStatus'),
    statusUrl: links.statusUrl,
    submittedAt: Type.String({ format: 'date-time' }),
    statusChangedAt: Type.String({ format: 'date-time' }),
    dueAt: Type.Optional(Type.String({ format: 'date-time', description: 'Absent in the partner view.' })),
    licence: Type.Union([Type.Ref('PermitLicence'), Type.Null()]),
  },
  {
    $id: 'PermitSummary',
    additionalProperties: false,
    examples: [
      {
        id: UUID_EXAMPLE,
        referenceNumber: 'PRM-2026-7KQ2M4XAP5',
        permitType: 'PI-GULA',
        clientReference: 'ERP-PO-2026-00118',
        status: 'forwarded',
        statusUrl: `/v1/permits/${UUID_EXAMPLE}`,
        submittedAt: '2026-12-02T03:15:00.000Z',
        statusChangedAt: '2026-12-02T03:15:01.000Z',
        dueAt: '2026-12-09T03:15:00.000Z',
        licence: null,
      },
    ],
  },
)

export const PermitPageSchema = PageSchema('PermitSummary', { $id: 'PermitPage', description: 'A page of permits, newest submission first.' })

export const PermitAcceptedSchema = Type.Object(
  {
    permit: Type.Object(
      {
        id: Type.String({ format: 'uuid' }),
        referenceNumber: Type.String(),
        permitType: Type.String(),
        clientReference: Type.String(),
        status: Type.Ref('PermitStatus'),
        ...links,
        submittedAt: Type.String({ format: 'date-time' }),
        dueAt: Type.String({ format: 'date-time' }),
      },
      { additionalProperties: false },
    ),
    receipt: Type.String({
      description:
        'Compact JWS (header `typ: permit-receipt+jwt`) signed with the gateway\'s published key (`GET /oidc/jwks`) over `{ iss, iat, permitId, orgId, clientReference, submissionSha256, receivedAt }`; `submissionSha256` is the SHA-256 (hex) of the RFC 8785 canonical JSON of the body you sent. Keep it: it proves what was accepted and when. Check it with any JOSE library and the JWKS, or `POST /v1/receipts/verify`.',
    }),
  },
  {
    $id: 'PermitAccepted',
    additionalProperties: false,
    examples: [
      {
        permit: {
          id: UUID_EXAMPLE,
          referenceNumber: 'PRM-2026-7KQ2M4XAP5',
          permitType: 'PI-GULA',
          clientReference: 'ERP-PO-2026-00118',
          status: 'submitted',
          statusUrl: `/v1/permits/${UUID_EXAMPLE}`,
          eventsUrl: `/v1/permits/${UUID_EXAMPLE}/events`,
          submittedAt: '2026-12-02T03:15:00.000Z',
          dueAt: '2026-12-09T03:15:00.000Z',
        },
        receipt: RECEIPT_EXAMPLE,
      },
    ],
  },
)

export const PermitEventSchema = Type.Object(
  {
    sequence: Type.Integer({ minimum: 1, description: '1, 2, 3… within the permit: the order of its journey.' }),
    type: Type.String({
      description:
        '`permit.oss_checked` and `permit.kswp_checked` (the look-ups that admitted it), `permit.submitted`, `permit.forwarding_attempted`, `permit.forwarded`, `permit.status_changed`, `permit.callback_ignored`, `permit.reconciled`, `permit.cancelled`…',
      examples: ['permit.submitted'],
    }),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.Object(
      {
        type: Type.Union([Type.Literal('user'), Type.Literal('client'), Type.Literal('operator'), Type.Literal('system'), Type.Literal('upstream')]),
        id: Type.Union([Type.String(), Type.Null()], { description: 'User id, client id or operator id; null for the system and upstreams.' }),
      },
      { additionalProperties: false },
    ),
    hop: Type.Union([Type.Literal('gateway'), Type.Literal('oss'), Type.Literal('djp_kswp'), Type.Literal('inatrade')], { description: 'Where the step happened.' }),
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('retrying'), Type.Literal('ignored')]),
    statusFrom: Type.Union([Type.Ref('PermitStatus'), Type.Null()]),
    statusTo: Type.Union([Type.Ref('PermitStatus'), Type.Null()], { description: 'Set when the step changed the status.' }),
    detail: Type.Object({}, { additionalProperties: true, description: 'What the step adds: reason, attempt, HTTP status, retry time, licence number.' }),
    traceId: Type.String({ description: 'The one W3C trace id of the journey.' }),
  },
  {
    $id: 'PermitEvent',
    additionalProperties: false,
    examples: [
      {
        sequence: 3,
        type: 'permit.submitted',
        occurredAt: '2026-12-02T03:15:00.000Z',
        actor: { type: 'client', id: 'inhouse-7f3k2m' },
        hop: 'gateway',
        outcome: 'succeeded',
        statusFrom: null,
        statusTo: 'submitted',
        detail: { checks: { shape: 'passed', oss: 'passed', djp_kswp: 'passed', business_rules: 'passed' } },
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      },
    ],
  },
)

export const PermitEventPageSchema = Type.Object(
  {
    items: Type.Array(Type.Ref('PermitEvent')),
    next: Type.Union([Type.String({ description: 'URL of the next page (path and query).' }), Type.Null()], { description: 'Null on the last page.' }),
  },
  { $id: 'PermitEventPage', additionalProperties: false, description: 'A page of a permit\'s events, oldest first (by `sequence`).' },
)

export const PermitIdParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid', maxLength: 36, description: 'The permit id.' }) },
  { additionalProperties: false },
)
export type PermitIdParams = Static<typeof PermitIdParamsSchema>

export const PermitListQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    status: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...PERMIT_STATUSES], description: 'Only permits in this status.' })),
    permitType: Type.Optional(Type.String({ maxLength: 32, pattern: '^[A-Z][A-Z0-9-]{1,31}$', description: 'Only this permit type.' })),
    clientReference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Your reference: finds a submission whose answer you did not get.' })),
    submittedFrom: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Submitted at or after this time.' })),
    submittedTo: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Submitted before this time.' })),
    sla: Type.Optional(Type.Union([Type.Literal('breached'), Type.Literal('at_risk')], { description: 'Undecided permits past their due time (`breached`) or close to it (`at_risk`).' })),
  },
  { additionalProperties: false },
)
export type PermitListQuery = Static<typeof PermitListQuerySchema>

export const PermitEventsQuerySchema = Type.Object(
  {
    limit: PageQuerySchema.limit,
    cursor: Type.Optional(Type.String({ maxLength: 32, pattern: '^[0-9]{1,9}$', description: 'From the previous page\'s `next`: the last sequence seen.' })),
  },
  { additionalProperties: false },
)
export type PermitEventsQuery = Static<typeof PermitEventsQuerySchema>

export const CancelPermitSchema = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Why the applicant withdraws the application (shown as `decisionReason`).', examples: ['Order cancelled by the buyer'] })) },
  { $id: 'CancelPermit', additionalProperties: false, examples: [{ reason: 'Order cancelled by the buyer' }] },
)
export type CancelPermit = Static<typeof CancelPermitSchema>

export const CancelledPermitSchema = Type.Object(
  {
    permit: Type.Ref('Permit'),
    cancellation: Type.Union([Type.Literal('cancelled'), Type.Literal('requested')], {
      description:
        '`cancelled` (200): the permit had not reached INATRADE and is cancelled. `requested` (202): INATRADE holds the application and decides; the permit keeps its status until INATRADE confirms (then `cancelled`), or its decision stands (event `permit.cancel_refused`). Follow the events.',
    }),
  },
  { $id: 'CancelledPermit', additionalProperties: false },
)

export const PermitRequestHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Any unique string (a UUID): a retry with the same key and body answers the first answer again, byte for byte, with `Idempotent-Replayed: true`. Kept 24 hours, per organisation.',
    }),
  ),
})

export const ReceiptVerificationRequestSchema = Type.Object(
  { receipt: Type.String({ minLength: 1, maxLength: 4096, description: 'The compact JWS from a submission.' }) },
  { $id: 'ReceiptVerificationRequest', additionalProperties: false, examples: [{ receipt: RECEIPT_EXAMPLE }] },
)

export const ReceiptVerificationSchema = Type.Object(
  {
    valid: Type.Boolean(),
    claims: Type.Optional(
      Type.Object(
        {
          iss: Type.String(),
          iat: Type.Integer(),
          permitId: Type.String(),
          orgId: Type.String(),
          clientReference: Type.String(),
          submissionSha256: Type.String(),
          receivedAt: Type.String({ format: 'date-time' }),
        },
        { additionalProperties: false },
      ),
    ),
    reason: Type.Optional(Type.String({ description: 'Why it is not valid.' })),
  },
  {
    $id: 'ReceiptVerification',
    additionalProperties: false,
    examples: [
      {
        valid: true,
        claims: {
          iss: 'http://localhost:3000/oidc',
          iat: 1796187600,
          permitId: UUID_EXAMPLE,
          orgId: ORG_EXAMPLE,
          clientReference: 'ERP-PO-2026-00118',
          submissionSha256: 'c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a',
          receivedAt: '2026-12-02T03:15:00.000Z',
        },
      },
      { valid: false, reason: 'the signature does not match' },
    ],
  },
)
