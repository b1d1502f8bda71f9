/**
 * Platform operators read any organisation's permit and its whole journey (the operator console's
 * timeline; the INSW contact centre answering "where is my application?"). Found by id or by
 * reference number; the audit of who looked is the API's access log. Writing stays with the
 * organisation (and INATRADE).
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { assertOperator } from '../operators/service.ts'
import { findPermit, listPermitEvents } from './repository.ts'
import { permitNotFound } from './service.ts'
import { eventView, ownerView } from './views.ts'

/** A journey has a few dozen steps; a pathological one is cut here (the list says so). */
const MAX_EVENTS = 500
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'

const OperatorPermitParamsSchema = Type.Object(
  { permit: Type.String({ pattern: `^(${UUID}|PRM-\\d{4}-[A-Z0-9]{4,20})$`, maxLength: 40, description: 'The permit\'s id, or its reference number (`PRM-…`).', examples: ['PRM-2026-7KQ2M4XAP5'] }) },
  { additionalProperties: false },
)
type OperatorPermitParams = Static<typeof OperatorPermitParamsSchema>

export const OperatorPermitJourneySchema = Type.Object(
  {
    permit: Type.Ref('Permit'),
    events: Type.Array(Type.Ref('PermitEvent'), { description: `Every step, oldest first (at most ${MAX_EVENTS}).` }),
    truncated: Type.Boolean({ description: `More than ${MAX_EVENTS} steps: the rest are left out.` }),
  },
  { $id: 'OperatorPermitJourney', additionalProperties: false },
)

export default async function operatorPermitRoutes(app: FastifyInstance): Promise<void> {
  app.addSchema(OperatorPermitJourneySchema)
  app.get<{ Params: OperatorPermitParams }>(
    '/v1/operator/permits/:permit',
    {
      config: { scopes: ['registrations:read'] },
      schema: {
        operationId: 'getOperatorPermitJourney',
        summary: 'Any permit and its journey (platform operators)',
        description:
          'Platform operators: a permit of any organisation, by id or reference number, with every step of its journey (the same events its organisation reads at `GET /v1/permits/{id}/events`). Needs the `platform_operator` level and `registrations:read`.',
        tags: ['Operators', 'Permits'],
        security: secured('registrations:read'),
        params: OperatorPermitParamsSchema,
        response: { 200: Type.Ref('OperatorPermitJourney'), ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE', 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => {
      await assertOperator(app.db, requirePrincipal(request))
      const reference = request.params.permit
      const id = reference.startsWith('PRM-')
        ? (await app.db.selectFrom('permits').select('id').where('reference_number', '=', reference).executeTakeFirst())?.id
        : reference.toLowerCase()
      const row = id === undefined ? undefined : await findPermit(app.db, id)
      if (!row) throw permitNotFound()
      const events = await listPermitEvents(app.db, row.id, 0, MAX_EVENTS + 1)
      return { permit: ownerView(row), events: events.slice(0, MAX_EVENTS).map(eventView), truncated: events.length > MAX_EVENTS }
    },
  )
}
