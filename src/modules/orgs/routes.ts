/** Organisation RBAC: menus, groups, users, machine clients and the audit log, registered together. */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import auditRoutes from '../audit/routes.ts'
import clientRoutes from '../clients/routes.ts'
import groupRoutes from '../groups/routes.ts'
import menuRoutes from '../menus/routes.ts'
import userRoutes from '../users/routes.ts'
import { checkOrganisationBeforeValidation } from './early-checks.ts'

export default async function orgRoutes(app: FastifyInstance, options: { config: Config }): Promise<void> {
  // Every route below: a caller of another organisation is refused before its body is validated.
  app.addHook('onRoute', checkOrganisationBeforeValidation)
  await app.register(menuRoutes)
  await app.register(groupRoutes)
  await app.register(userRoutes, options)
  await app.register(clientRoutes, options)
  await app.register(auditRoutes)
}
