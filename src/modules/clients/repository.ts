/** SQL for an organisation's machine clients. Every query filters by organisation. */
import { type Kysely, type Transaction } from 'kysely'
import type { Database, MachineClientKind } from '../../db/schema.ts'
import type { Cursor } from '../../http/pagination.ts'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'

type Db = Kysely<Database> | Transaction<Database>

const COLUMNS = ['client_id', 'organisation_id', 'name', 'kind', 'scopes', 'status', 'created_by', 'created_at', 'revoked_at', 'previous_secret_expires_at'] as const

export function findOrgClient(db: Db, organisationId: string, clientId: string) {
  return db.selectFrom('machine_clients').select(COLUMNS).where('organisation_id', '=', organisationId).where('client_id', '=', clientId).executeTakeFirst()
}

export type ClientRow = NonNullable<Awaited<ReturnType<typeof findOrgClient>>>

export function listOrgClients(db: Db, filter: { organisationId: string; kind?: MachineClientKind; status?: 'active' | 'revoked'; cursor?: Cursor; limit: number }) {
  let query = db
    .selectFrom('machine_clients')
    .select(COLUMNS)
    .select(keysetPosition('created_at').as('position_at'))
    .where('organisation_id', '=', filter.organisationId)
  if (filter.kind) query = query.where('kind', '=', filter.kind)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.cursor) query = query.where(afterCursor('created_at', 'client_id', filter.cursor, 'text'))
  return query.orderBy('created_at', 'desc').orderBy('client_id', 'desc').limit(filter.limit + 1).execute()
}

export function insertClient(
  db: Db,
  client: { clientId: string; organisationId: string; name: string; kind: MachineClientKind; secretHash: string; scopes: string[]; createdBy: string },
) {
  return db
    .insertInto('machine_clients')
    .values({
      client_id: client.clientId,
      organisation_id: client.organisationId,
      name: client.name,
      kind: client.kind,
      secret_hash: client.secretHash,
      scopes: client.scopes,
      created_by: client.createdBy,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

/** The new secret becomes current; the current one stays valid until `previousExpiresAt`. */
export function rotateSecret(db: Db, clientId: string, secretHash: string, previousExpiresAt: Date) {
  return db
    .updateTable('machine_clients')
    .set((eb) => ({ previous_secret_hash: eb.ref('secret_hash'), previous_secret_expires_at: previousExpiresAt, secret_hash: secretHash }))
    .where('client_id', '=', clientId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

export function revokeClient(db: Db, clientId: string) {
  return db
    .updateTable('machine_clients')
    .set({ status: 'revoked', revoked_at: new Date(), previous_secret_hash: null, previous_secret_expires_at: null })
    .where('client_id', '=', clientId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}
