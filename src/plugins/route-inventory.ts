/**
 * Every route this instance serves, as it was registered: method, URL and whether the contract
 * documents it (a schema not hidden). The OWASP inventory test (test/security) holds it against
 * `openapi.json`: nothing served that is neither documented nor knowingly left out (the OIDC
 * provider, the sign-in pages, Swagger UI), nothing documented that is not served.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface InventoriedRoute {
  method: string
  url: string
  documented: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    routeInventory: readonly InventoriedRoute[]
  }
}

async function routeInventoryPlugin(app: FastifyInstance): Promise<void> {
  const routes: InventoriedRoute[] = []
  app.decorate('routeInventory', routes)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const documented = route.schema !== undefined && (route.schema as { hide?: boolean }).hide !== true
    for (const method of methods) routes.push({ method, url: route.url, documented })
  })
}

export default fp(routeInventoryPlugin, { name: 'route-inventory', fastify: '5.x' })
