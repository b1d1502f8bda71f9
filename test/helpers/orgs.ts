/**
 * Organisation fixtures for RBAC tests: a sandbox organisation (super admin + clients, every
 * menu), then groups and users made through the API as a real admin would, and tokens minted for
 * any of them (see tokens.ts).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, setupTestContext, type TestContext } from './app.ts'
import { tokenMinter, type TokenMinter } from './tokens.ts'

export interface TestOrg {
  orgId: string
  superAdmin: { userId: string; username: string; password: string; email: string }
  clients: { kind: string; clientId: string; clientSecret: string; scopes: string[] }[]
}

export async function createOrg(app: FastifyInstance, nib: string): Promise<TestOrg> {
  const response = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib } })
  if (response.statusCode !== 201) throw new Error(`test organisation ${nib} not created: ${response.body}`)
  const body = response.json()
  return { orgId: body.organisation.id, superAdmin: body.superAdmin, clients: body.clients }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** A JSON API call with a bearer token. */
export function api(app: FastifyInstance, token: string, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) })
}

export type Rights = { menu: string; enabled?: boolean; actions: string[] }[]

export async function createGroup(app: FastifyInstance, token: string, orgId: string, group: { level: 'admin' | 'non_admin'; name: string; rights: Rights }): Promise<string> {
  const response = await api(app, token, 'POST', `/v1/orgs/${orgId}/groups`, group)
  if (response.statusCode !== 201) throw new Error(`group not created: ${response.statusCode} ${response.body}`)
  return response.json().id as string
}

let serial = 0

/** The add-user form with every required field filled in. */
export function userForm(level: 'admin' | 'non_admin', groupId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1
  const tag = `${process.pid}${serial}`
  return {
    username: `user.${tag}`,
    fullName: `Test User ${tag}`,
    position: 'Staf',
    nik: '3171 2345 6789 0001',
    phone: '+62 21 3456789',
    mobile: '+62 812 3456 7890',
    email: `user.${tag}@sandbox.example`,
    address: 'Jl. Medan Merdeka Barat No. 1, Jakarta',
    postalCode: '10110',
    level,
    groupId,
    acceptTerms: true,
    ...overrides,
  }
}

/** Creates a user through the API and activates them (as if they had set their password). */
export async function createActiveUser(
  app: FastifyInstance,
  context: TestContext,
  token: string,
  orgId: string,
  level: 'admin' | 'non_admin',
  groupId: string,
): Promise<string> {
  const response = await api(app, token, 'POST', `/v1/orgs/${orgId}/users`, userForm(level, groupId))
  if (response.statusCode !== 201) throw new Error(`user not created: ${response.statusCode} ${response.body}`)
  const userId = response.json().id as string
  await context.database.handle.db.updateTable('users').set({ status: 'active' }).where('id', '=', userId).execute()
  return userId
}

/** A token for an organisation user with both org scopes (rights decide the rest). */
export function userToken(minter: TokenMinter, userId: string, orgId: string, scope = 'openid org:read org:admin webhooks:read webhooks:write'): string {
  return minter.forUser(userId, { orgId, scope })
}

export const ALL_RIGHTS = ['create', 'view', 'edit', 'delete']
export const FULL_USER_MANAGEMENT: Rights = [{ menu: 'USER_MANAGEMENT', actions: ALL_RIGHTS }]

/** The usual start of an RBAC test file: one database, a ready app, and a token minter for it. */
export async function setupRbacTest(t: Parameters<typeof setupTestContext>[0]) {
  const context = await setupTestContext(t)
  const app = await buildTestApp(t, context)
  await app.ready()
  return { context, app, minter: tokenMinter(app), db: context.database.handle.db }
}
