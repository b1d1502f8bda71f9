/**
 * Re-sync ("Sinkronkan Ulang"): refresh an organisation's profile from OSS by its NIB and report
 * what changed. Allowed to platform operators and to the organisation's own super admin and admins.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Principal } from '../../plugins/auth.ts'
import type { Upstreams } from '../../upstreams/index.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobEngine } from '../../jobs/types.ts'
import { freezeForUnreportedChange } from '../compliance/profile-change.ts'
import { organisationProfileFromOss } from './service.ts'

type OrganisationRow = Awaited<ReturnType<typeof findOrganisation>>

function findOrganisation(db: Kysely<Database>, id: string) {
  return db
    .selectFrom('organisations')
    .select(['id', 'nib', 'npwp', 'name', 'legal_form', 'address', 'business_types', 'kbli', 'oss_last_changed_at', 'oss_synced_at'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export function toProfile(row: NonNullable<OrganisationRow>) {
  return {
    id: row.id,
    nib: row.nib,
    npwp: row.npwp,
    name: row.name,
    legalForm: row.legal_form,
    address: row.address,
    businessTypes: row.business_types,
    kbli: row.kbli,
    ossLastChangedAt: row.oss_last_changed_at?.toISOString() ?? null,
    ossSyncedAt: row.oss_synced_at?.toISOString() ?? null,
  }
}

const notFound = () => new AppError('NOT_FOUND', { detail: { en: 'No such organisation.', id: 'Organisasi tidak ditemukan.' } })

/** Returns whether the caller is a platform operator (whose re-sync finding a change means it was not reported). */
async function assertMayResync(db: Kysely<Database>, principal: Principal, organisationId: string): Promise<boolean> {
  const user =
    principal.kind === 'user'
      ? await db.selectFrom('users').select(['level', 'status', 'organisation_id']).where('id', '=', principal.subject).executeTakeFirst()
      : undefined
  if (!user || user.status !== 'active') throw notFound()
  if (user.level === 'platform_operator') return true
  // Another organisation's id is answered like an unknown one: ids are not probed.
  if (user.organisation_id !== organisationId) throw notFound()
  if (user.level !== 'super_admin' && user.level !== 'admin') {
    throw new AppError('FORBIDDEN', { detail: { en: 'Only the super admin or an admin may re-sync the organisation.', id: 'Hanya super admin atau admin yang dapat menyinkronkan ulang organisasi.' } })
  }
  return false
}

/** Key order ignored: jsonb hands objects back with its own key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]))
  return value
}
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))

export interface ResyncDeps {
  db: Kysely<Database>
  upstreams: Upstreams
  jobs: Pick<JobEngine, 'send' | 'wake'>
  /** Business time, for a sanction the re-sync applies. */
  now: () => Date
}

export async function resyncOrganisation(deps: ResyncDeps, principal: Principal, organisationId: string) {
  const { db, upstreams } = deps
  const byOperator = await assertMayResync(db, principal, organisationId)
  const before = await findOrganisation(db, organisationId)
  if (!before) throw notFound()
  if (!before.nib) {
    throw new AppError('CONFLICT', { detail: { en: 'This organisation has no NIB, so OSS holds nothing to sync.', id: 'Organisasi ini tidak memiliki NIB, sehingga tidak ada data OSS untuk disinkronkan.' } })
  }
  upstreams.oss.invalidate(before.nib)
  const lookup = await upstreams.oss.getBusiness(before.nib)
  if (!lookup.found) {
    throw new AppError('CONFLICT', { detail: { en: 'OSS no longer knows this NIB.', id: 'NIB ini tidak lagi terdaftar di OSS.' } })
  }
  const business = lookup.business
  const now = new Date()
  const profile = organisationProfileFromOss(business)
  const candidates: [string, unknown, unknown][] = [
    ['name', before.name, business.name],
    ['npwp', before.npwp, business.npwp ?? before.npwp],
    ['legalForm', before.legal_form, business.legalForm],
    ['address', before.address, business.address],
    ['businessTypes', before.business_types, business.businessTypes],
    ['kbli', before.kbli, business.kbli],
    ['ossLastChangedAt', before.oss_last_changed_at?.toISOString() ?? null, new Date(business.lastChangedAt).toISOString()],
  ]
  const changes = candidates.filter(([, a, b]) => !same(a, b)).map(([field, a, b]) => ({ field, before: a, after: b }))
  // The bookkeeping timestamp alone is no change of the profile.
  const changedFields = changes.map((change) => change.field).filter((field) => field !== 'ossLastChangedAt')
  const freeze = await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('organisations')
      .set({ ...profile, npwp: business.npwp ?? before.npwp, oss_synced_at: now, updated_at: now })
      .where('id', '=', organisationId)
      .execute()
    return byOperator && changedFields.length > 0 ? freezeForUnreportedChange(trx, deps.jobs, organisationId, changedFields, deps.now()) : undefined
  })
  if (freeze) deps.jobs.wake(QUEUES.webhookDeliver.name)
  const after = await findOrganisation(db, organisationId)
  return { organisation: toProfile(after!), changes, syncedAt: now.toISOString(), ...(freeze ? { sanctionId: freeze } : {}) }
}
