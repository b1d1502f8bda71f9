/**
 * oidc-provider storage over one PostgreSQL table (`oidc_payloads`): sessions, interactions,
 * grants, codes and tokens all live there, so every instance sees the same state. Machine
 * clients are not stored here: they come from `machine_clients` (see clients.ts).
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { Database } from '../db/schema.ts'
import { findMachineClientMetadata } from './clients.ts'

export function createAdapterFactory(db: Kysely<Database>, staticClients: Map<string, AdapterPayload>) {
  return class PostgresOidcAdapter implements Adapter {
    readonly model: string

    constructor(model: string) {
      this.model = model
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null
      await db
        .insertInto('oidc_payloads')
        .values({
          model: this.model,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresAt,
        })
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet({
            payload: JSON.stringify(payload),
            grant_id: payload.grantId ?? null,
            user_code: payload.userCode ?? null,
            uid: payload.uid ?? null,
            expires_at: expiresAt,
          }),
        )
        .execute()
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return staticClients.get(id) ?? findMachineClientMetadata(db, id)
      return this.findBy('id', id)
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findBy('uid', uid)
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findBy('user_code', userCode)
    }

    async consume(id: string): Promise<void> {
      await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: sql`now()` })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute()
    }

    async destroy(id: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('model', '=', this.model).where('id', '=', id).execute()
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute()
    }

    private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', this.model)
        .where(column, '=', value)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .executeTakeFirst()
      if (!row) return undefined
      const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as AdapterPayload
      return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload
    }
  }
}

/** Expired rows are useless to the provider; removing them keeps the table and its indexes small. */
export async function deleteExpiredOidcPayloads(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Ends every sign-in of an account at once (a password reset, a disabled user): its sessions, its
 * grants, and everything issued under those grants (authorization codes, refresh tokens). JWT
 * access tokens are not stored and cannot be recalled: they run out within ACCESS_TOKEN_TTL, and
 * the organisation operations refuse a disabled user's at once. Returns the rows removed.
 */
export async function revokeAccountSessions(db: Kysely<Database> | Transaction<Database>, accountId: string): Promise<number> {
  const byAccount = sql<string>`payload->>'accountId'`
  const grants = db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Grant').where(byAccount, '=', accountId)
  const result = await db
    .deleteFrom('oidc_payloads')
    .where((eb) => eb.or([eb(byAccount, '=', accountId), eb('grant_id', 'in', grants)]))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
