/**
 * Stub of DJP KSWP (the tax directorate's taxpayer status confirmation), by NPWP, from the
 * sandbox identities.
 */
import type { FastifyInstance } from 'fastify'
import { misbehave } from './behaviour.ts'
import { isNpwp } from './identifiers.ts'
import { createStubApp, type StubOptions } from './stub-app.ts'

export type DjpStubOptions = StubOptions

export async function buildDjpStub(options: DjpStubOptions): Promise<FastifyInstance> {
  const { app, identities, scheduler, attempts } = createStubApp({ ...options, upstream: 'djp' })

  app.get<{ Params: { npwp: string } }>('/kswp/v1/taxpayers/:npwp', async (request, reply) => {
    const { npwp } = request.params
    if (!isNpwp(npwp)) {
      return reply.code(400).send({ error: 'INVALID_NPWP', message: 'NPWP must be 15 or 16 digits' })
    }
    const identity = identities.byNpwp(npwp)
    const djp = identity?.djp
    if (await misbehave(request, reply, { behaviour: djp, scheduler, attempts, attemptKey: `GET ${request.url}`, upstreamName: 'DJP KSWP' })) {
      return reply
    }
    // An identity with an NPWP but no djp section is a taxpayer in good standing: the common case.
    const status = djp?.status ?? 'VALID'
    if (!identity || status === 'NOT_FOUND') {
      return reply.code(404).send({ error: 'NPWP_NOT_FOUND', message: `NPWP ${npwp} tidak ditemukan` })
    }
    return {
      npwp,
      status,
      taxpayerName: djp?.taxpayerName ?? identity.oss?.name ?? identity.label,
      ...(status === 'INVALID' ? { reason: djp?.reason ?? 'NPWP tidak aktif' } : {}),
      confirmedAt: new Date().toISOString(),
    }
  })

  return app
}
