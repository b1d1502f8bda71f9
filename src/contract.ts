/**
 * The published contract as a JSON string, built from the routes themselves. Shared by the
 * export script (which writes openapi/openapi.json) and the drift test (which compares).
 */
import type { FastifyInstance } from 'fastify'

export const CONTRACT_PATH = new URL('../openapi/openapi.json', import.meta.url)

export function serializeContract(app: FastifyInstance): string {
  return `${JSON.stringify(app.swagger(), null, 2)}\n`
}
