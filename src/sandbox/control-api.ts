/**
 * The control API every stub serves under `/__sandbox`: read and clear the request journal,
 * script identities at run time, and reset to the fixtures file. For tests and testers only; it
 * is never reachable through the gateway.
 */
import type { FastifyInstance } from 'fastify'
import { IdentityConflictError, identityKey, identityProblems, type IdentityStore, type SandboxIdentity } from './fixtures.ts'
import type { Journal } from './journal.ts'

export const CONTROL_PREFIX = '/__sandbox'

export interface ControlApiOptions {
  journal: Journal
  identities: IdentityStore
  /** Back to the fixtures file, empty journal, and the stub's own state forgotten. */
  reset: () => void
}

interface KeyParams {
  key: string
}

export function registerControlApi(app: FastifyInstance, options: ControlApiOptions): void {
  const { journal, identities } = options

  app.get(`${CONTROL_PREFIX}/requests`, async () => journal.list())

  app.delete(`${CONTROL_PREFIX}/requests`, async (_request, reply) => {
    journal.clear()
    return reply.code(204).send()
  })

  app.get(`${CONTROL_PREFIX}/identities`, async () => identities.list())

  app.get<{ Params: KeyParams }>(`${CONTROL_PREFIX}/identities/:key`, async (request, reply) => {
    const identity = identities.get(request.params.key)
    if (!identity) return reply.code(404).send({ error: 'IDENTITY_NOT_FOUND', message: `no sandbox identity ${request.params.key}` })
    return identity
  })

  // The key is the NIB, or the NPWP for an identity registered without one (e.g. a foundation).
  app.put<{ Params: KeyParams }>(`${CONTROL_PREFIX}/identities/:key`, async (request, reply) => {
    const problems = identityProblems(request.body)
    if (problems.length > 0) {
      return reply.code(400).send({ error: 'INVALID_IDENTITY', message: problems.join('; '), problems })
    }
    const identity = request.body as SandboxIdentity
    if (identityKey(identity) !== request.params.key) {
      return reply.code(400).send({
        error: 'IDENTITY_KEY_MISMATCH',
        message: `the path names ${request.params.key} but the body's key (its nib, else its npwp) is ${identityKey(identity)}`,
      })
    }
    try {
      const { created } = identities.put(identity)
      return reply.code(created ? 201 : 200).send(identity)
    } catch (error) {
      if (error instanceof IdentityConflictError) return reply.code(409).send({ error: 'NPWP_IN_USE', message: error.message })
      throw error
    }
  })

  app.post(`${CONTROL_PREFIX}/reset`, async (_request, reply) => {
    options.reset()
    return reply.code(204).send()
  })
}
