/**
 * Mounts the OIDC provider under /oidc. The provider reads its own request bodies, so this scope
 * hands it the raw, unparsed request and steps aside (`reply.hijack`). Also exposes the provider
 * and the key set to the rest of the app, and sweeps expired provider rows periodically.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type Provider from 'oidc-provider'
import type { Config } from '../config.ts'
import { deleteExpiredOidcPayloads } from '../identity/adapter.ts'
import { secretMatches } from '../identity/clients.ts'
import { loadOidcKeys, type OidcKeys } from '../identity/keys.ts'
import { createProvider, OIDC_MOUNT_PATH } from '../identity/provider.ts'

declare module 'fastify' {
  interface FastifyInstance {
    oidc: Provider
    oidcKeys: OidcKeys
  }
}

const SWEEP_INTERVAL_MS = 10 * 60 * 1000

async function oidcPlugin(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const keys = await loadOidcKeys(options.config, app.db)
  const provider = createProvider(options.config, app.db, keys)
  provider.on('server_error', (_ctx, error) => app.log.error({ err: error }, 'oidc provider error'))
  app.decorate('oidc', provider)
  app.decorate('oidcKeys', keys)
  // For the token endpoint's budget (rate-limit.ts): a client over its failure budget still passes with its right secret.
  app.decorate('verifyClientSecret', async (clientId: string, secret: string) => {
    const client = await provider.Client.find(clientId)
    return typeof client?.clientSecret === 'string' && secretMatches(client.clientSecret, secret)
  })

  const handle = provider.callback()
  const forward = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack()
    const raw = request.raw as typeof request.raw & { originalUrl?: string }
    // The provider derives its mount path from originalUrl minus url, as under Express or Koa mounting.
    raw.originalUrl = raw.url
    raw.url = raw.url!.slice(OIDC_MOUNT_PATH.length) || '/'
    reply.raw.setHeader('x-request-id', request.id)
    handle(raw, reply.raw)
  }
  await app.register(async (scope) => {
    // Leave bodies unread for the provider's own parser.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    scope.all(OIDC_MOUNT_PATH, { schema: { hide: true }, config: { rateLimit: { groupId: 'oidc' } } }, forward)
    scope.all(`${OIDC_MOUNT_PATH}/*`, { schema: { hide: true }, config: { rateLimit: { groupId: 'oidc' } } }, forward)
  })

  const sweep = () =>
    deleteExpiredOidcPayloads(app.db).then(
      (count) => count && app.log.debug({ count }, 'expired oidc rows removed'),
      (err) => app.log.warn({ err }, 'could not sweep expired oidc rows'),
    )
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS).unref()
  app.addHook('onReady', async () => void sweep())
  app.addHook('onClose', async () => clearInterval(timer))
}

export default fp(oidcPlugin, { name: 'oidc', fastify: '5.x', dependencies: ['db'] })
