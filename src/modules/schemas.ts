/**
 * Every named schema of the feature modules, registered once at the root so any module may
 * `$ref` another's (encapsulated plugins cannot see each other's schemas) and the contract shows
 * each as one named component.
 */
import type { FastifyInstance } from 'fastify'
import * as health from './health/schemas.ts'
import * as me from './me/schemas.ts'
import * as sandbox from './sandbox/schemas.ts'

export function registerModuleSchemas(app: FastifyInstance, options: { sandbox: boolean }): void {
  // Sandbox schemas stay out of the production contract along with the sandbox operations.
  const modules = options.sandbox ? [health, me, sandbox] : [health, me]
  for (const exports of modules) {
    for (const value of Object.values(exports)) {
      if (value && typeof value === 'object' && typeof (value as { $id?: unknown }).$id === 'string') {
        app.addSchema(value as { $id: string })
      }
    }
  }
}
