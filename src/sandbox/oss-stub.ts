/**
 * Stub of OSS (the investment ministry's business registry): business profile and persons in
 * charge by NIB, from the sandbox identities; with `sso`, also the OSS login (an OpenID Connect
 * provider under `/sso`, see idp-provider.ts).
 */
import type { FastifyInstance } from 'fastify'
import { misbehave } from './behaviour.ts'
import { isNib } from './identifiers.ts'
import type { OssAccount } from './idp-accounts.ts'
import { mountIdp } from './idp-mount.ts'
import type { SandboxIdp } from './idp-provider.ts'
import { createStubApp, type StubOptions } from './stub-app.ts'

export interface OssStubOptions extends StubOptions {
  /** The OSS identity provider to serve under `/sso`; without it `/sso` is a 404 like any unknown route. */
  sso?: SandboxIdp<OssAccount>
}

export async function buildOssStub(options: OssStubOptions): Promise<FastifyInstance> {
  const { app, identities, scheduler, attempts, onReset } = createStubApp({ ...options, upstream: 'oss' })
  if (options.sso) {
    const sso = options.sso
    mountIdp(app, sso)
    onReset(() => sso.forgetSessions())
  }

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
