/**
 * Who may read a permit (and so its licence document): the one check, behind one function so the
 * permits service's own rule can replace it at merge. The rule of issue 10: View on SSM Perizinan
 * (people) or `permits:read` (machine clients) in the permit's organisation; a surveyor's or
 * insurer's client of the organisation the permit names; anyone else gets 404, never 403 for
 * another organisation's permit (that would confirm it exists).
 */
import type { Kysely, Selectable } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PermitsTable } from '../../db/tables/permits.ts'
import type { Principal } from '../../plugins/auth.ts'
import { notFound, requireOrgRight } from '../orgs/authorize.ts'

export type PermitRow = Selectable<PermitsTable>

function permitNotFound() {
  return notFound()
}

export async function readablePermit(db: Kysely<Database>, principal: Principal, permitId: string): Promise<PermitRow> {
  const permit = await db.selectFrom('permits').selectAll().where('id', '=', permitId).executeTakeFirst()
  if (!permit) throw permitNotFound()
  const client = principal.kind === 'client' ? principal.client : undefined
  if (client && (client.kind === 'surveyor' || client.kind === 'insurer')) {
    const named = client.kind === 'surveyor' ? permit.surveyor_organisation_id : permit.insurer_organisation_id
    if (named !== client.organisation.id) throw permitNotFound()
    return permit
  }
  await requireOrgRight(db, principal, permit.organisation_id, 'SSM_PERIZINAN', 'view')
  return permit
}
