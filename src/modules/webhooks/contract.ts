/**
 * The contract's top-level `webhooks` section (OpenAPI 3.1): one entry per event type of the
 * catalogue, plus the ping, each with its payload schema, the signature headers and an example
 * built by the same function that builds the real messages (fanout.ts), so the documented
 * message cannot drift from the sent one.
 */
import { COMPLIANCE_EVENT_TYPES, EVENT_TYPES, PERMIT_EVENT_TYPES, type EventType } from '../notifications/catalogue.ts'
import { permitEventPayload } from '../notifications/fanout.ts'

const PERMIT_ID = 'c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'
const WEBHOOK_ID = '0b8f7a34-2f7c-4c8e-9d3e-6a1f2b3c4d5e'

const SEQUENCE: Record<string, [from: string | null, sequence: number]> = {
  submitted: [null, 1],
  forwarded: ['submitted', 2],
  received: ['forwarded', 3],
  under_review: ['received', 4],
  approved: ['under_review', 5],
  issued: ['approved', 6],
  rejected: ['under_review', 5],
  cancelled: ['submitted', 2],
  forwarding_failed: ['submitted', 2],
}

function permitExample(type: EventType): Record<string, unknown> {
  const status = type.slice('permit.'.length)
  const [from, sequence] = SEQUENCE[status] ?? [null, 1]
  return permitEventPayload(
    {
      id: 1,
      permit_id: PERMIT_ID,
      organisation_id: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00',
      sequence,
      status_from: from,
      status_to: status,
      detail: status === 'issued' ? { licenceNumber: 'PI-BAJA/2026/000123' } : {},
      occurred_at: new Date(Date.UTC(2026, 10, 22, 8, sequence)),
      reference_number: 'PRM-2026-00000123',
      client_reference: 'ERP-PO-2026-0042',
      permit_type: 'PI-BAJA',
      decision_reason: status === 'rejected' ? 'HS code 7208.51.00 is not covered by the quota' : null,
    },
    type,
  )
}

const DISABLED_EXAMPLE = {
  type: 'webhook.disabled',
  timestamp: '2026-11-25T08:00:00.000Z',
  data: {
    webhookId: WEBHOOK_ID,
    url: 'https://erp.example.co.id/hooks/insw',
    reason: 'Every delivery attempt failed for 72 h (since 2026-11-22T08:00:00.000Z).',
    failingSince: '2026-11-22T08:00:00.000Z',
    disabledAt: '2026-11-25T08:00:00.000Z',
  },
}

const ORGANISATION_ID = '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00'
const LINKS = { compliance: '/v1/compliance', obligations: '/v1/obligations' }
const COMPLIANCE_EXAMPLES: Record<(typeof COMPLIANCE_EVENT_TYPES)[number], { summary: string; example: unknown }> = {
  'obligation.due_soon': {
    summary: 'A realisation report is due soon',
    example: {
      type: 'obligation.due_soon',
      timestamp: '2026-11-13T17:05:00.000Z',
      data: { organisationId: ORGANISATION_ID, sequence: 7, obligationId: '0f4c2b8e-6d1a-4e3b-9c7d-5a6b7c8d9e0f', permitId: PERMIT_ID, kind: 'business_licence', period: '2026-10', dueDate: '2026-11-16', dueAt: '2026-11-16T16:59:59.999Z', links: LINKS },
    },
  },
  'sanction.applied': {
    summary: 'A sanction was applied (step 1: the electronic warning)',
    example: {
      type: 'sanction.applied',
      timestamp: '2026-11-17T17:05:00.000Z',
      data: {
        organisationId: ORGANISATION_ID,
        sequence: 8,
        sanctionId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        obligationId: '0f4c2b8e-6d1a-4e3b-9c7d-5a6b7c8d9e0f',
        permitId: PERMIT_ID,
        kind: 'business_licence',
        step: 1,
        code: 'electronic_warning',
        blocksSubmissions: false,
        daysOverdue: 1,
        reason: 'Realisation report for 2026-10 of permit PRM-2026-00000123 is 1 day(s) late (due 2026-11-16).',
        links: LINKS,
      },
    },
  },
  'sanction.ended': {
    summary: 'A sanction was lifted, waived or expired',
    example: {
      type: 'sanction.ended',
      timestamp: '2026-12-20T03:00:00.000Z',
      data: { organisationId: ORGANISATION_ID, sequence: 9, sanctionId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', code: 'licence_freeze', status: 'lifted', reason: 'Overdue reports received; contact centre ticket 2026-1187', links: LINKS },
    },
  },
}

const PING_EXAMPLE = { type: 'webhook.ping', timestamp: '2026-11-22T08:00:00.000Z', data: { webhookId: WEBHOOK_ID, organisationId: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00' } }

const HEADERS = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The message id: the same on every retry of this message. Drop a repeat you already processed.',
    schema: { type: 'string' },
  },
  { name: 'webhook-timestamp', in: 'header', required: true, description: 'Seconds since the epoch when this attempt was signed. Refuse ones far from now (replays).', schema: { type: 'string', pattern: '^[0-9]+$' } },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description: 'Space-separated `v1,<base64 HMAC-SHA256>` signatures of `id.timestamp.body`, one per secret that signs now (two during a rotation\'s overlap). Verify with a Standard Webhooks library and your `whsec_` secret.',
    schema: { type: 'string' },
  },
]

function entry(type: string, summary: string, schema: string, example: unknown) {
  const operationId = `${type.replace(/[._](\w)/g, (_, letter: string) => letter.toUpperCase())}Webhook`
  return {
    post: {
      operationId,
      summary,
      description:
        'Sent to your endpoint (a POST). Answer any 2xx within 10 s; anything else (a redirect too: none is followed) is retried with exponential backoff for about 3 days. A permit\'s messages arrive in order of `data.sequence`.',
      tags: ['Webhooks'],
      // The gateway calls you: no token; the signature headers authenticate the message.
      security: [],
      parameters: HEADERS,
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, examples: { [type]: { value: example } } } } },
      responses: {
        '200': { description: 'Received (any 2xx).' },
        '400': { description: 'Refused (any other status): retried later.' },
      },
    },
  }
}

export function webhookContract(): Record<string, unknown> {
  const section: Record<string, unknown> = {}
  for (const type of EVENT_TYPES) {
    if ((PERMIT_EVENT_TYPES as readonly string[]).includes(type)) {
      section[type] = entry(type, `A permit reached the status \`${type.slice('permit.'.length)}\``, 'PermitEventMessage', permitExample(type))
    } else if ((COMPLIANCE_EVENT_TYPES as readonly string[]).includes(type)) {
      const { summary, example } = COMPLIANCE_EXAMPLES[type as (typeof COMPLIANCE_EVENT_TYPES)[number]]
      section[type] = entry(type, summary, 'ComplianceEventMessage', example)
    } else if (type === 'webhook.disabled') {
      section[type] = entry(type, 'Another endpoint of your organisation was disabled', 'WebhookDisabledMessage', DISABLED_EXAMPLE)
    } else {
      throw new Error(`event type ${type} has no entry in the contract's webhooks section`)
    }
  }
  section['webhook.ping'] = entry('webhook.ping', 'A test message, sent on request', 'WebhookPingMessage', PING_EXAMPLE)
  return section
}
