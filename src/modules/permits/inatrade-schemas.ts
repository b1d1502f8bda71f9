/** Contract of INATRADE's status callbacks to the gateway and of the issued licence document. */
import { Type, type Static } from 'typebox'
import type { InatradeApplicationStatus } from '../../upstreams/index.ts'

const Timestamp = Type.String({ format: 'date-time', maxLength: 40 })

export const InatradeStatusSchema = Type.Union(
  [Type.Literal('RECEIVED'), Type.Literal('UNDER_REVIEW'), Type.Literal('APPROVED'), Type.Literal('REJECTED'), Type.Literal('CANCELLED')],
  { $id: 'InatradeStatus', description: 'An application\'s status at INATRADE.' },
)

export const InatradeCallbackSchema = Type.Object(
  {
    event: Type.Literal('application.status_changed'),
    inatradeId: Type.String({ minLength: 1, maxLength: 100, description: 'INATRADE\'s application id, as it answered the submission.' }),
    referenceNumber: Type.String({ minLength: 1, maxLength: 100, description: 'The gateway\'s permit reference it was filed under.' }),
    status: Type.Ref('InatradeStatus'),
    occurredAt: Timestamp,
    reason: Type.Optional(Type.String({ maxLength: 2000, description: 'With REJECTED: why.' })),
    licence: Type.Optional(
      Type.Object(
        {
          number: Type.String({ minLength: 1, maxLength: 100 }),
          issuedAt: Timestamp,
          validUntil: Timestamp,
        },
        { description: 'With APPROVED: the licence INATRADE issued.' },
      ),
    ),
  },
  {
    $id: 'InatradeCallback',
    description:
      'INATRADE\'s `application.status_changed` event. Fields INATRADE may add later are accepted and ignored (no `additionalProperties: false`: the sender is another system, not a client).',
    maxProperties: 30,
    examples: [
      {
        event: 'application.status_changed',
        inatradeId: '9b2f3c1e-52a4-4d8e-bb0b-2f5e1c7a9d10',
        referenceNumber: 'PRM-2026-7QK2M9XD4A',
        status: 'APPROVED',
        occurredAt: '2026-12-02T03:15:00.000Z',
        licence: { number: 'IT.INATRADE/2026/004512', issuedAt: '2026-12-02T03:15:00.000Z', validUntil: '2027-12-02T03:15:00.000Z' },
      },
    ],
  },
)
/** The body as handlers see it (the status is a `$ref`, which Static cannot follow). */
export type InatradeCallback = Omit<Static<typeof InatradeCallbackSchema>, 'status'> & { status: InatradeApplicationStatus }

export const InatradeCallbackAckSchema = Type.Object(
  {
    received: Type.Literal(true),
    outcome: Type.Union([Type.Literal('applied'), Type.Literal('recorded_late'), Type.Literal('duplicate_status'), Type.Literal('duplicate_delivery')], {
      description:
        '`applied`: the permit moved; `recorded_late`: a status behind the permit\'s (or one it cannot take) was recorded as an event only; `duplicate_status`: the permit already had it; `duplicate_delivery`: this `x-inatrade-delivery` was handled before.',
    }),
  },
  { $id: 'InatradeCallbackAck', additionalProperties: false, examples: [{ received: true, outcome: 'applied' }] },
)

export const InatradeCallbackHeadersSchema = Type.Object({
  'x-inatrade-signature': Type.String({ maxLength: 200, description: '`sha256=<hex HMAC-SHA256 of the raw body with INATRADE_CALLBACK_SECRET>`.' }),
  'x-inatrade-delivery': Type.String({ minLength: 1, maxLength: 200, description: 'The same on every retry of one callback: repeats are acknowledged and ignored.' }),
})

const LicenceLineSchema = Type.Object(
  {
    hsCode: Type.String(),
    description: Type.String(),
    quantity: Type.Union([Type.Number(), Type.Null()]),
    unit: Type.Union([Type.String(), Type.Null()]),
    value: Type.Union([Type.Number(), Type.Null()]),
    currency: Type.Union([Type.String(), Type.Null()]),
    country: Type.Union([Type.String(), Type.Null()], { description: 'Origin (imports) or destination (exports), ISO 3166-1 alpha-2.' }),
  },
  { additionalProperties: false },
)

export const LicenceDocumentSchema = Type.Object(
  {
    licenceNumber: Type.String(),
    permitId: Type.String({ format: 'uuid' }),
    referenceNumber: Type.String(),
    inatradeId: Type.Union([Type.String(), Type.Null()]),
    permitType: Type.Object({ code: Type.String(), name: Type.String() }, { additionalProperties: false }),
    holder: Type.Object({ name: Type.String(), nib: Type.String() }, { additionalProperties: false }),
    issuedAt: Type.String({ format: 'date-time' }),
    validFrom: Type.String({ format: 'date-time' }),
    validUntil: Type.String({ format: 'date-time' }),
    lines: Type.Array(LicenceLineSchema),
    portOfDischarge: Type.Union([Type.String(), Type.Null()]),
    verificationUrl: Type.String({ format: 'uri' }),
    issuer: Type.String(),
  },
  {
    $id: 'LicenceDocument',
    additionalProperties: false,
    description: 'The issued licence as data; the PDF shows the same. Generated once, so every download is the same bytes.',
    examples: [
      {
        licenceNumber: 'IT.INATRADE/2026/004512',
        permitId: '0d6f7f3e-3c55-4f0e-9a4e-6a2b1f9c8d21',
        referenceNumber: 'PRM-2026-7QK2M9XD4A',
        inatradeId: '9b2f3c1e-52a4-4d8e-bb0b-2f5e1c7a9d10',
        permitType: { code: 'PI-BAJA', name: 'Import approval: iron and steel' },
        holder: { name: 'PT Baja Nusantara', nib: '8120000000001' },
        issuedAt: '2026-12-02T03:15:00.000Z',
        validFrom: '2026-12-02T03:15:00.000Z',
        validUntil: '2027-12-02T03:15:00.000Z',
        lines: [{ hsCode: '72085100', description: 'Hot-rolled steel plate', quantity: 250, unit: 'TNE', value: 180000, currency: 'USD', country: 'CN' }],
        portOfDischarge: 'IDTPP',
        verificationUrl: 'https://insw-gateway.example/v1/permits/0d6f7f3e-3c55-4f0e-9a4e-6a2b1f9c8d21/document',
        issuer: 'Kementerian Perdagangan Republik Indonesia (INATRADE), via INSW',
      },
    ],
  },
)
