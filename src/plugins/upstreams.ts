/**
 * The three upstream adapters (OSS, DJP KSWP, INATRADE) as `app.upstreams`, built once over the
 * shared undici client factory. Tests pass their own (e.g. pointed at a MockAgent).
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createUpstreams, type Upstreams } from '../upstreams/index.ts'

declare module 'fastify' {
  interface FastifyInstance {
    upstreams: Upstreams
  }
}

export interface UpstreamsPluginOptions {
  /** Adapters owned by the caller: not closed with the app. */
  upstreams?: Upstreams
  urls?: { ossUrl: string; djpUrl: string; inatradeUrl: string }
}

async function upstreamsPlugin(app: FastifyInstance, options: UpstreamsPluginOptions): Promise<void> {
  if (!options.upstreams && !options.urls) throw new Error('upstreams plugin needs either adapters or URLs')
  const upstreams = options.upstreams ?? createUpstreams({ ...options.urls!, logger: app.log })
  app.decorate('upstreams', upstreams)
  if (!options.upstreams) app.addHook('onClose', () => upstreams.close())
}

export default fp(upstreamsPlugin, { name: 'upstreams', fastify: '5.x' })
