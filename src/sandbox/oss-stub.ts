/**
 * Stub of OSS (the investment ministry's business registry): business profile and persons in
 * charge by NIB, from the sandbox identities.
 */
import type { FastifyInstance } from 'fastify'
import { misbehave } from './behaviour.ts'
import { isNib } from './identifiers.ts'
import { createStubApp, type StubOptions } from './stub-app.ts'

export type OssStubOptions = StubOptions

export async function buildOssStub(options: OssStubOptions): Promise<FastifyInstance> {
  const { app, identities, scheduler, attempts } = createStubApp({ ...options, upstream: 'oss' })

  app.get<{ Params: { nib: string } }>('/oss/v1/businesses/:nib', async (request, reply) => {
    const { nib } = request.params
    if (!isNib(nib)) {
      return reply.code(400).send({ error: 'INVALID_NIB', message: 'NIB must be exactly 13 digits' })
    }
    const identity = identities.byNib(nib)
    const oss = identity?.oss
    if (await misbehave(request, reply, { behaviour: oss, scheduler, attempts, attemptKey: `GET ${request.url}`, upstreamName: 'OSS' })) {
      return reply
    }
    if (!identity || !oss?.found) {
      return reply.code(404).send({ error: 'NIB_NOT_FOUND', message: `NIB ${nib} tidak terdaftar di OSS` })
    }
    return {
      nib,
      name: oss.name,
      legalForm: oss.legalForm,
      npwp: identity.npwp ?? null,
      businessTypes: oss.businessTypes,
      address: oss.address,
      kbli: oss.kbli,
      personsInCharge: oss.personsInCharge,
      lastChangedAt: oss.lastChangedAt,
    }
  })

  return app
}
