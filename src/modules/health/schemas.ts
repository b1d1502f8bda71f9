import { Type, type Static } from 'typebox'

export const CircuitStateSchema = Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')], {
  $id: 'CircuitState',
  description: '`closed`: calls flow. `open`: calls fail fast after repeated failures. `half-open`: one trial call decides.',
})

export const LivenessSchema = Type.Object(
  { status: Type.Literal('ok'), uptimeSeconds: Type.Number() },
  { $id: 'Liveness', additionalProperties: false, examples: [{ status: 'ok', uptimeSeconds: 42.1 }] },
)

export const ReadinessSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unavailable'), Type.Literal('overloaded'), Type.Literal('draining')], {
      description:
        '`degraded`: the database is up but an upstream circuit is open or half-open (still ready: work for it is queued). Not ready (`503`): `unavailable` (the database is unreachable), `overloaded` (the event loop is stalling: other requests get `503 OVERLOADED`), `draining` (shutting down: requests are still served for a few seconds; send new ones elsewhere).',
    }),
    database: Type.Object(
      { status: Type.Union([Type.Literal('up'), Type.Literal('down')]), latencyMs: Type.Number() },
      { additionalProperties: false },
    ),
    upstreams: Type.Object(
      { oss: Type.Ref('CircuitState'), djp: Type.Ref('CircuitState'), inatrade: Type.Ref('CircuitState') },
      { additionalProperties: false, description: 'Circuit-breaker state of each upstream adapter.' },
    ),
  },
  {
    $id: 'Readiness',
    additionalProperties: false,
    examples: [{ status: 'ready', database: { status: 'up', latencyMs: 1.2 }, upstreams: { oss: 'closed', djp: 'closed', inatrade: 'closed' } }],
  },
)

export type Readiness = Static<typeof ReadinessSchema>
