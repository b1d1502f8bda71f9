/** Who am I: the caller behind the access token, with their organisation and what the token allows. */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Principal } from '../../plugins/auth.ts'
import { API_SCOPE_DESCRIPTIONS, OIDC_SCOPE_DESCRIPTIONS } from '../../identity/scopes.ts'
import { rightsList, userRights } from '../orgs/authorize.ts'
import type { Me } from './schemas.ts'

const DESCRIPTIONS: Record<string, string> = { ...API_SCOPE_DESCRIPTIONS, ...OIDC_SCOPE_DESCRIPTIONS }

async function organisationSummary(db: Kysely<Database>, id: string | null | undefined) {
  if (!id) return null
  return (await db.selectFrom('organisations').select(['id', 'name', 'nib']).where('id', '=', id).executeTakeFirst()) ?? null
}

function gone(): AppError {
  // The token is still cryptographically valid, but its subject no longer may act.
  return new AppError('INVALID_TOKEN', {
    detail: { en: 'The account behind this token is no longer active.', id: 'Akun pemilik token ini tidak lagi aktif.' },
    headers: { 'www-authenticate': 'Bearer realm="insw-gateway", error="invalid_token"' },
  })
}

export async function describeCaller(db: Kysely<Database>, principal: Principal): Promise<Me> {
  const scopes = [...principal.scopes].sort().map((scope) => ({ scope, description: DESCRIPTIONS[scope] ?? scope }))
  if (principal.kind === 'client') {
    // Authentication has just loaded (or taken from its short-lived cache) the client and its
    // organisation, and refused the token if the client was revoked: no second read here.
    const client = principal.client
    if (!client) throw gone()
    return {
      kind: 'client',
      subject: principal.subject,
      clientId: principal.clientId,
      client: { clientId: client.clientId, name: client.name, kind: client.kind },
      organisation: client.organisation,
      scopes,
    }
  }
  const user = await db
    .selectFrom('users')
    .select(['id', 'username', 'full_name', 'email', 'level', 'status', 'organisation_id', 'group_id'])
    .where('id', '=', principal.subject)
    .executeTakeFirst()
  if (!user || user.status !== 'active') throw gone()
  return {
    kind: 'user',
    subject: principal.subject,
    clientId: principal.clientId,
    user: { id: user.id, username: user.username, fullName: user.full_name, email: user.email, level: user.level, status: user.status },
    organisation: await organisationSummary(db, user.organisation_id),
    scopes,
    ...(user.organisation_id ? { rights: rightsList(await userRights(db, user)) } : {}),
  }
}
