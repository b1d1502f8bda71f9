/**
 * Every named schema of the feature modules, registered once at the root so any module may
 * `$ref` another's (encapsulated plugins cannot see each other's schemas) and the contract shows
 * each as one named component.
 */
import type { FastifyInstance } from 'fastify'
import * as audit from './audit/schemas.ts'
import * as clients from './clients/schemas.ts'
import * as groups from './groups/schemas.ts'
import * as health from './health/schemas.ts'
import * as me from './me/schemas.ts'
import * as orgs from './orgs/schemas.ts'
import * as permitTypes from './permit-types/schemas.ts'
import * as account from './account/schemas.ts'
import * as operators from './operators/schemas.ts'
import * as permitJourney from './permits/inatrade-schemas.ts'
import * as operatorJobs from './operators/jobs-schemas.ts'
import * as permits from './permits/schemas.ts'
import * as notifications from './notifications/schemas.ts'
import * as obligations from './obligations/schemas.ts'
import * as reports from './reports/schemas.ts'
import * as compliance from './compliance/schemas.ts'
import * as registration from './registration/schemas.ts'
import * as sandbox from './sandbox/schemas.ts'
import * as shipmentData from './shipment-data/schemas.ts'
import * as users from './users/schemas.ts'
import * as webhooks from './webhooks/schemas.ts'

export function registerModuleSchemas(app: FastifyInstance, options: { sandbox: boolean }): void {
  // Sandbox schemas stay out of the production contract along with the sandbox operations.
  const common = [health, me, registration, operators, operatorJobs, account, orgs, groups, users, clients, audit, permitTypes, permits, permitJourney, webhooks, notifications, obligations, reports, compliance, shipmentData]
  const modules = options.sandbox ? [...common, sandbox] : common
  for (const exports of modules) {
    for (const value of Object.values(exports)) {
      if (value && typeof value === 'object' && typeof (value as { $id?: unknown }).$id === 'string') {
        app.addSchema(value as { $id: string })
      }
    }
  }
}
