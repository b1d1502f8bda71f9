/**
 * Machine clients of an organisation. Authorization first (membership, then the API Catalogue
 * right); only super admins and admins create them, with scopes within the kind's ceiling and
 * within the creator's own rights. The secret is returned once; only its digest is stored.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { actorOf } from '../audit/service.ts'
import { digestSecret, generateClientId, generateClientSecret } from '../../identity/clients.ts'
import { MACHINE_CLIENT_SCOPES } from '../../identity/scopes.ts'
import { forbidden, notFound, requireOrgRight } from '../orgs/authorize.ts'
import { requireHoldsAll } from '../orgs/hierarchy.ts'
import { SCOPE_RIGHTS } from '../orgs/menu-catalogue.ts'
import * as repo from './repository.ts'
import type { CreateMachineClient, MachineClient, MachineClientCredentials, MachineClientQuery, RotateClientSecret } from './schemas.ts'

type Db = Kysely<Database>

function toClient(row: repo.ClientRow): MachineClient {
  return {
    clientId: row.client_id,
    organisationId: row.organisation_id,
    name: row.name,
    kind: row.kind,
    scopes: row.scopes,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    previousSecretExpiresAt: row.previous_secret_expires_at && row.previous_secret_expires_at > new Date() ? row.previous_secret_expires_at.toISOString() : null,
  }
}

function audited(client: MachineClient) {
  return { name: client.name, kind: client.kind, scopes: client.scopes, status: client.status }
}

export async function listClients(db: Db, principal: Principal, orgId: string, query: MachineClientQuery, requestUrl: string) {
  await requireOrgRight(db, principal, orgId, 'API_CATALOGUE', 'view')
  const limit = query.limit ?? 20
  const rows = await repo.listOrgClients(db, { organisationId: orgId, kind: query.kind, status: query.status, cursor: decodeCursor(query.cursor), limit })
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.position_at, id: row.client_id }),
    toClient,
    (cursor) => nextLink(requestUrl, cursor),
  )
}

export async function getClient(db: Db, principal: Principal, orgId: string, clientId: string): Promise<MachineClient> {
  await requireOrgRight(db, principal, orgId, 'API_CATALOGUE', 'view')
  const row = await repo.findOrgClient(db, orgId, clientId)
  if (!row) throw notFound()
  return toClient(row)
}

export async function createClient(
  db: Db,
  principal: Principal,
  orgId: string,
  body: CreateMachineClient,
  context: { requestId: string; tokenUrl: string },
): Promise<MachineClientCredentials> {
  const caller = await requireOrgRight(db, principal, orgId, 'API_CATALOGUE', 'create')
  if (caller.kind !== 'user' || (caller.level !== 'super_admin' && caller.level !== 'admin')) {
    throw forbidden('Only super admins and admins create machine clients.', 'Hanya super admin dan admin yang dapat membuat klien mesin.')
  }
  const allowed: string[] = MACHINE_CLIENT_SCOPES[body.kind]
  const beyondKind = body.scopes.filter((scope) => !allowed.includes(scope))
  if (beyondKind.length) {
    throw new AppError('VALIDATION_FAILED', {
      detail: { en: `A ${body.kind} client may not hold: ${beyondKind.join(' ')}.`, id: `Klien ${body.kind} tidak boleh memiliki: ${beyondKind.join(' ')}.` },
      errors: [{ pointer: '/scopes', in: 'body', detail: `not allowed for kind ${body.kind}: ${beyondKind.join(' ')}`, reason: 'scope' }],
    })
  }
  requireHoldsAll(caller, body.scopes.flatMap((scope) => SCOPE_RIGHTS[scope]!.actions.map((action) => ({ menu: SCOPE_RIGHTS[scope]!.menu, action }))))
  const secret = generateClientSecret()
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertClient(trx, {
      clientId: generateClientId(body.kind),
      organisationId: orgId,
      name: body.name.trim(),
      kind: body.kind,
      secretHash: digestSecret(secret),
      scopes: [...body.scopes],
      createdBy: caller.id,
    })
    const client = toClient(row)
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'client.created', targetType: 'client', targetId: row.client_id, after: audited(client), requestId: context.requestId })
    return { client, clientSecret: secret, tokenUrl: context.tokenUrl }
  })
}

async function activeClient(db: Db, orgId: string, clientId: string) {
  const row = await repo.findOrgClient(db, orgId, clientId)
  if (!row) throw notFound()
  if (row.status !== 'active') throw new AppError('CONFLICT', { detail: { en: 'The client is revoked.', id: 'Klien sudah dicabut.' } })
  return row
}

export async function rotateClientSecret(
  db: Db,
  principal: Principal,
  orgId: string,
  clientId: string,
  body: RotateClientSecret,
  context: { requestId: string; tokenUrl: string },
): Promise<MachineClientCredentials> {
  const caller = await requireOrgRight(db, principal, orgId, 'API_CATALOGUE', 'edit')
  const before = toClient(await activeClient(db, orgId, clientId))
  const secret = generateClientSecret()
  const graceSeconds = body.graceSeconds ?? 86400
  return db.transaction().execute(async (trx) => {
    const client = toClient(await repo.rotateSecret(trx, clientId, digestSecret(secret), new Date(Date.now() + graceSeconds * 1000)))
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(caller),
      action: 'client.secret_rotated',
      targetType: 'client',
      targetId: clientId,
      before: audited(before),
      after: { ...audited(client), previousSecretExpiresAt: client.previousSecretExpiresAt },
      requestId: context.requestId,
    })
    return { client, clientSecret: secret, tokenUrl: context.tokenUrl }
  })
}

export async function revokeClient(db: Db, principal: Principal, orgId: string, clientId: string, requestId: string): Promise<MachineClient> {
  const caller = await requireOrgRight(db, principal, orgId, 'API_CATALOGUE', 'delete')
  const before = toClient(await activeClient(db, orgId, clientId))
  return db.transaction().execute(async (trx) => {
    const client = toClient(await repo.revokeClient(trx, clientId))
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'client.revoked', targetType: 'client', targetId: clientId, before: audited(before), after: audited(client), requestId })
    return client
  })
}
