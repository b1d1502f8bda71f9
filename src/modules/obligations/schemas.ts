/**
 * The obligations contract: which realisation reports an organisation owes, by when, and what
 * happens when one is late. Named components, registered in src/modules/schemas.ts.
 */
import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'
import { DEADLINE_RULES, OBLIGATION_KINDS } from './deadline-rules.ts'

const DATE = { pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', maxLength: 10 }
export const OBLIGATION_STATES = ['due', 'overdue', 'submitted', 'waived'] as const

const Localised = Type.Object({ en: Type.String(), id: Type.String() }, { additionalProperties: false })

export const ObligationKindSchema = Type.Unsafe<(typeof OBLIGATION_KINDS)[number]>({
  $id: 'ObligationKind',
  type: 'string',
  enum: [...OBLIGATION_KINDS],
  description:
    'Which sanction ladder applies when the report is late: `business_licence` (Perizinan Berusaha), `surat_keterangan` (certificates), `importer_id` (the NIB acting as importer ID, API), `surveyor_report`.',
})

export const SanctionStepSchema = Type.Object(
  {
    step: Type.Integer({ minimum: 1 }),
    code: Type.String({ examples: ['licence_freeze'] }),
    name: Localised,
    daysOverdue: Type.Integer({ minimum: 0, description: 'Applied once the deadline has passed by this many days.' }),
    appliesOn: Type.Union([Type.String({ ...DATE, description: 'For an obligation: the WIB date this step applies if the report is still missing.' }), Type.Null()]),
    blocksSubmissions: Type.Boolean({ description: 'While active, the organisation cannot submit new permit applications.' }),
    lastsDays: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'A step that ends by itself after this many days; null: until an operator lifts it.' }),
  },
  { $id: 'SanctionStep', additionalProperties: false },
)

export const ObligationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    permitId: Type.String({ format: 'uuid' }),
    kind: Type.Ref('ObligationKind'),
    rule: Type.Unsafe<(typeof DEADLINE_RULES)[number]>({
      type: 'string',
      enum: [...DEADLINE_RULES],
      description: '`monthly_15th`: by the 15th of the month after the period; `working_days_after_validity`: 15 working days after the licence\'s validity ends; `importer_calendar`: at the end of January, April, July, October and December.',
    }),
    period: Type.String({ description: 'What the report covers: `2026-11` (a month), `2027-02/2027-04` (importer calendar months), `validity` (the whole validity). Submit the report with this value.', examples: ['2026-11'] }),
    periodStart: Type.String(DATE),
    periodEnd: Type.String(DATE),
    dueDate: Type.String({ ...DATE, description: 'The last day to report (Asia/Jakarta).' }),
    dueAt: Type.String({ format: 'date-time', description: 'The deadline as an instant: the end of dueDate in Jakarta (23:59:59.999 WIB).' }),
    nominalDueDate: Type.String({ ...DATE, description: 'The date the rule gives. A 15th or a month end on a weekend or holiday moves to the next working day: then dueDate is later and movedBecause says why.' }),
    movedBecause: Type.Union([Type.Literal('weekend'), Type.Literal('holiday'), Type.Null()]),
    status: Type.Unsafe<(typeof OBLIGATION_STATES)[number]>({ type: 'string', enum: [...OBLIGATION_STATES], description: '`due` (not yet late), `overdue` (the deadline passed without a report), `submitted` (a report met it, maybe late), `waived` (by an operator).' }),
    daysOverdue: Type.Integer({ minimum: 0, description: 'Whole days since the deadline while overdue (0 otherwise).' }),
    reportId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    submittedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    waivedReason: Type.Union([Type.String(), Type.Null()]),
    sanctionStep: Type.Integer({ minimum: 0, description: 'The highest step of the ladder applied for this obligation (0: none).' }),
    ladder: Type.Array(Type.Ref('SanctionStep'), { description: 'What happens if it is late: each step of its ladder and the day it applies.' }),
    links: Type.Object(
      {
        permit: Type.String(),
        reports: Type.String({ description: 'POST here to submit the report for this period.' }),
        report: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  },
  {
    $id: 'Obligation',
    additionalProperties: false,
    examples: [
      {
        id: '0f4c2b8e-6d1a-4e3b-9c7d-5a6b7c8d9e0f',
        permitId: '3f0c6c1e-8d6f-4a7b-9a61-0c2b9e1d4a55',
        kind: 'business_licence',
        rule: 'monthly_15th',
        period: '2026-10',
        periodStart: '2026-10-01',
        periodEnd: '2026-10-31',
        dueDate: '2026-11-16',
        dueAt: '2026-11-16T16:59:59.999Z',
        nominalDueDate: '2026-11-15',
        movedBecause: 'weekend',
        status: 'due',
        daysOverdue: 0,
        reportId: null,
        submittedAt: null,
        waivedReason: null,
        sanctionStep: 0,
        ladder: [
          { step: 1, code: 'electronic_warning', name: { en: 'Electronic warning', id: 'Peringatan elektronik' }, daysOverdue: 1, appliesOn: '2026-11-17', blocksSubmissions: false, lastsDays: null },
          { step: 2, code: 'licence_freeze', name: { en: 'Business licence frozen', id: 'Pembekuan perizinan berusaha' }, daysOverdue: 30, appliesOn: '2026-12-16', blocksSubmissions: true, lastsDays: null },
        ],
        links: { permit: '/v1/permits/3f0c6c1e-8d6f-4a7b-9a61-0c2b9e1d4a55', reports: '/v1/permits/3f0c6c1e-8d6f-4a7b-9a61-0c2b9e1d4a55/realisation-reports' },
      },
    ],
  },
)
export type Obligation = Static<typeof ObligationSchema>

export const ObligationPageSchema = PageSchema('Obligation', { $id: 'ObligationPage', description: 'A page of obligations, earliest deadline first.' })

export const ObligationListQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    status: Type.Optional(Type.Unsafe<(typeof OBLIGATION_STATES)[number]>({ type: 'string', enum: [...OBLIGATION_STATES], description: 'Only obligations in this state.' })),
    permitId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only this permit\'s.' })),
    kind: Type.Optional(Type.Unsafe<(typeof OBLIGATION_KINDS)[number]>({ type: 'string', enum: [...OBLIGATION_KINDS], description: 'Only this kind.' })),
    dueFrom: Type.Optional(Type.String({ ...DATE, description: 'Due on or after this date (Asia/Jakarta).' })),
    dueTo: Type.Optional(Type.String({ ...DATE, description: 'Due on or before this date (Asia/Jakarta).' })),
  },
  { additionalProperties: false },
)
export type ObligationListQuery = Static<typeof ObligationListQuerySchema>

/** The calendar feed (calendar-routes.ts): the address with its secret, shown once. */
export const CalendarFeedSchema = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      description: 'Subscribe to this address in a calendar app. It holds the secret: shown this once, stored only as a digest; anyone with it can read your organisation\'s deadlines until you revoke it (DELETE) or create a new one.',
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  {
    $id: 'CalendarFeed',
    additionalProperties: false,
    examples: [{ url: 'https://gateway.example/v1/obligations.ics?token=Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg', createdAt: '2026-11-02T03:15:00.000Z' }],
  },
)
export type CalendarFeed = Static<typeof CalendarFeedSchema>

export const CalendarFeedStatusSchema = Type.Object(
  {
    active: Type.Boolean({ description: 'Whether you have a feed address that works. The address itself is never shown again.' }),
    createdAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the active address was created.' }),
  },
  { $id: 'CalendarFeedStatus', additionalProperties: false, examples: [{ active: true, createdAt: '2026-11-02T03:15:00.000Z' }] },
)
export type CalendarFeedStatus = Static<typeof CalendarFeedStatusSchema>

export const ObligationsFeedQuerySchema = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 256, description: 'The secret of your feed address (POST /v1/me/calendar-feed).' })),
  },
  { additionalProperties: false },
)
export type ObligationsFeedQuery = Static<typeof ObligationsFeedQuerySchema>
