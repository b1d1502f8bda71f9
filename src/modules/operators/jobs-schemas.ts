/** Contract of the operators' view of the job engine: jobs by state and queue, one job, a retry. */
import { Type } from 'typebox'
import { PageSchema } from '../../http/pagination.ts'
import { QUEUE_POLICIES } from '../../jobs/queues.ts'

const queueNames = QUEUE_POLICIES.flatMap((queue) => [queue.name, queue.deadLetter])

export const OperatorJobStateSchema = Type.Union(
  [
    Type.Literal('created'),
    Type.Literal('retry'),
    Type.Literal('active'),
    Type.Literal('completed'),
    Type.Literal('cancelled'),
    Type.Literal('failed'),
    Type.Literal('dead_letter'),
  ],
  {
    $id: 'OperatorJobState',
    description:
      '`created` (waiting), `retry` (waiting for its next attempt after a back-off), `active` (running), `completed`, `cancelled`, `failed` (no attempt left). As a filter, `dead_letter` selects the jobs waiting in a dead letter queue for an operator.',
    examples: ['dead_letter'],
  },
)

export const OperatorJobQueueSchema = Type.Union(
  queueNames.map((name) => Type.Literal(name)),
  { $id: 'OperatorJobQueue', description: 'A queue of the gateway, or its dead letter queue (`<queue>.dead`).', examples: ['permit.forward'] },
)

const at = Type.String({ format: 'date-time' })
const nullableAt = Type.Union([at, Type.Null()])

export const OperatorJobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    queue: Type.Ref('OperatorJobQueue'),
    state: Type.Union([Type.Literal('created'), Type.Literal('retry'), Type.Literal('active'), Type.Literal('completed'), Type.Literal('cancelled'), Type.Literal('failed')]),
    deadLettered: Type.Boolean({ description: 'Waiting (or kept) in a dead letter queue: retry it to send it back to its queue.' }),
    data: Type.Object(
      {},
      {
        additionalProperties: Type.Union([Type.String(), Type.Number()]),
        description: 'The job\'s payload, identifiers only (fields named `…Id`): payloads never carry personal data, and anything else is left out.',
      },
    ),
    attempt: Type.Integer({ minimum: 0, description: 'Attempts started so far.' }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    createdAt: at,
    runAfter: Type.String({ format: 'date-time', description: 'Not run before this time (a back-off or a deferral).' }),
    startedAt: nullableAt,
    completedAt: nullableAt,
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed (for a dead-lettered job: why its original failed), cut to 500 characters.' }),
    deferred: Type.Union([
      Type.Object(
        { until: at, reason: Type.String(), continuedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]) },
        { additionalProperties: false, description: 'This attempt was put back without counting (an open circuit breaker, an upstream\'s Retry-After); `continuedBy` runs it.' },
      ),
      Type.Null(),
    ]),
    source: Type.Union([
      Type.Object({ jobId: Type.String({ format: 'uuid' }), queue: Type.String() }, { additionalProperties: false, description: 'The job this one was dead-lettered or redriven from.' }),
      Type.Null(),
    ]),
  },
  {
    $id: 'OperatorJob',
    additionalProperties: false,
    examples: [
      {
        id: '0f8e4d2c-8a51-4c43-9d7e-2f2b8f0d6a11',
        queue: 'permit.forward.dead',
        state: 'created',
        deadLettered: true,
        data: { permitId: '5b1f3c2a-1d4e-4f6a-8b9c-0d1e2f3a4b5c' },
        attempt: 0,
        maxAttempts: 9,
        createdAt: '2026-12-02T03:10:00.000Z',
        runAfter: '2026-12-02T03:10:00.000Z',
        startedAt: null,
        completedAt: null,
        lastError: 'INATRADE answered 500',
        deferred: null,
        source: { jobId: '9a7c6b5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d', queue: 'permit.forward' },
      },
    ],
  },
)

export const OperatorJobPageSchema = PageSchema('OperatorJob', { $id: 'OperatorJobPage', description: 'A page of jobs, newest first.' })
