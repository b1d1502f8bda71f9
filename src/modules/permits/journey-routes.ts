/**
 * The INATRADE side's HTTP routes: INATRADE's signed callbacks and the issued licence document.
 * Needs the db, upstreams and permit-types plugins; the job handlers are registered apart
 * (jobs.ts), since they need the job engine.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import inatradeCallbackRoutes from './callback-routes.ts'
import permitDocumentRoutes from './document-routes.ts'
import { licenceSettings } from './journey-deps.ts'

export interface JourneyRoutesOptions {
  config: Pick<Config, 'publicUrl' | 'inatradeCallbackSecret'>
}

export default async function permitJourneyRoutes(app: FastifyInstance, options: JourneyRoutesOptions): Promise<void> {
  await app.register(inatradeCallbackRoutes, {
    secret: options.config.inatradeCallbackSecret,
    licence: { publicUrl: options.config.publicUrl, ...licenceSettings(app) },
  })
  await app.register(permitDocumentRoutes)
}
