/**
 * An organisation's users. Authorization first (membership, then the User Management right),
 * then the level rule (a super admin manages admins and non-admins, an admin non-admins, a
 * non-admin nobody, nobody themselves), then the grant rule (a user's group may not hold a right
 * the caller lacks). A user's menus (their group) are changed only by the user who created them.
 * A new user gets a set-password link by email, in the same transaction as the user.
 */
import type { Kysely, Transaction, Updateable } from 'kysely'
import type { Database, UsersTable } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { actorOf } from '../audit/service.ts'
import { generateOneTimeToken } from '../identity/accounts/one-time-token.ts'
import { insertOneTimeToken, insertUser, queueMail } from '../identity/accounts/repository.ts'
import { conflictOnDuplicate, forbidden, groupRights, notFound, requireOrgRight, rightsList, type OrgCaller } from '../orgs/authorize.ts'
import { pairs, requireHoldsAll, requireManages } from '../orgs/hierarchy.ts'
import { findGroup } from '../groups/repository.ts'
import * as repo from './repository.ts'
import type { CreateOrgUser, OrgUser, OrgUserQuery, UpdateOrgUser } from './schemas.ts'

type Db = Kysely<Database>

const USERNAME_TAKEN = { en: 'This username is taken.', id: 'Nama pengguna ini sudah dipakai.' }

export const SET_PASSWORD_TOKEN_TTL_MS = 72 * 60 * 60 * 1000

export function normaliseNik(nik: string): string {
  return nik.replaceAll(/[\s.]/g, '')
}

/** `3171********0001`: enough to tell people apart in a list, not enough to misuse. */
export function maskNik(nik: string | null): string | null {
  return nik ? `${nik.slice(0, 4)}${'*'.repeat(Math.max(nik.length - 8, 0))}${nik.slice(-4)}` : null
}

function toOrgUser(row: repo.OrgUserRow, options: { maskNik: boolean }): OrgUser {
  return {
    id: row.id,
    organisationId: row.organisation_id!,
    username: row.username,
    fullName: row.full_name,
    position: row.position,
    nik: options.maskNik ? maskNik(row.nik) : row.nik,
    employeeNumber: row.employee_number,
    sikNumber: row.sik_number,
    phone: row.phone,
    mobile: row.mobile,
    fax: row.fax,
    email: row.email,
    address: row.address,
    postalCode: row.postal_code,
    shippingLineCode: row.shipping_line_code,
    level: row.level as OrgUser['level'],
    groupId: row.group_id,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** What the audit log keeps of a user: no NIK (personal data), the group and its rights. */
async function audited(db: Db | Transaction<Database>, row: repo.OrgUserRow) {
  const rights = row.group_id ? rightsList(await groupRights(db, row.organisation_id!, row.group_id)) : []
  return { username: row.username, fullName: row.full_name, email: row.email, level: row.level, status: row.status, groupId: row.group_id, rights }
}

function invalidGroup(en: string, id: string, pointer = '/groupId'): AppError {
  return new AppError('VALIDATION_FAILED', { detail: { en, id }, errors: [{ pointer, in: 'body', detail: en, reason: 'group' }] })
}

/** The group a caller may put a user of `level` in: theirs to manage, active, and no right beyond the caller's. */
async function assignableGroup(db: Db, caller: OrgCaller, orgId: string, groupId: string, level?: string) {
  const group = await findGroup(db, orgId, groupId)
  if (!group) throw invalidGroup('No such group in this organisation.', 'Grup tidak ditemukan di organisasi ini.')
  if (level && group.level !== level) throw invalidGroup(`The group is for ${group.level} users, not ${level}.`, `Grup ini untuk pengguna ${group.level}, bukan ${level}.`, '/level')
  if (group.status !== 'active') throw invalidGroup('The group is inactive.', 'Grup tidak aktif.')
  requireManages(caller, group.level)
  requireHoldsAll(caller, pairs(await groupRights(db, orgId, group.id)))
  return group
}

export async function listUsers(db: Db, principal: Principal, orgId: string, query: OrgUserQuery, requestUrl: string) {
  await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'view')
  const limit = query.limit ?? 20
  const rows = await repo.listOrgUsers(db, { organisationId: orgId, level: query.level, status: query.status, groupId: query.groupId, cursor: decodeCursor(query.cursor), limit })
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.position_at, id: row.id }),
    (row) => toOrgUser(row, { maskNik: true }),
    (cursor) => nextLink(requestUrl, cursor),
  )
}

export async function getUser(db: Db, principal: Principal, orgId: string, userId: string): Promise<OrgUser> {
  await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'view')
  const row = await repo.findOrgUser(db, orgId, userId)
  if (!row) throw notFound()
  return toOrgUser(row, { maskNik: false })
}

export async function createUser(
  db: Db,
  principal: Principal,
  orgId: string,
  body: CreateOrgUser,
  context: { requestId: string; setPasswordUrl: (token: string) => string },
): Promise<OrgUser> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'create')
  requireManages(caller, body.level)
  const group = await assignableGroup(db, caller, orgId, body.groupId, body.level)
  if (await repo.usernameTaken(db, body.username)) throw new AppError('CONFLICT', { detail: USERNAME_TAKEN })
  const { token, hash } = generateOneTimeToken()
  const created = db.transaction().execute(async (trx) => {
    const inserted = await insertUser(trx, {
      organisationId: orgId,
      username: body.username,
      email: body.email.trim(),
      fullName: body.fullName.trim(),
      level: group.level,
    })
    const row = await repo.updateOrgUser(trx, inserted.id, {
      group_id: group.id,
      position: body.position.trim(),
      nik: normaliseNik(body.nik),
      employee_number: body.employeeNumber ?? null,
      sik_number: body.sikNumber ?? null,
      phone: body.phone,
      mobile: body.mobile,
      fax: body.fax ?? null,
      address: body.address.trim(),
      postal_code: body.postalCode,
      shipping_line_code: body.shippingLineCode ?? null,
      terms_accepted_at: new Date(),
      created_by: caller.id,
    })
    await insertOneTimeToken(trx, { hash, userId: row.id, purpose: 'set_password', expiresAt: new Date(Date.now() + SET_PASSWORD_TOKEN_TTL_MS) })
    await queueMail(trx, {
      to: row.email,
      template: 'org-user-invitation',
      subject: 'INSW: konfirmasi akun dan buat kata sandi / confirm your account and set a password',
      text: [
        `Halo ${row.full_name},`,
        '',
        `Akun INSW ${row.username} telah dibuat untuk Anda. Konfirmasi email dan buat kata sandi melalui tautan berikut (berlaku 72 jam, satu kali pakai):`,
        `An INSW account ${row.username} was created for you. Confirm your email and set a password here (valid for 72 hours, once):`,
        context.setPasswordUrl(token),
        '',
        'Email ini dikirim otomatis; mohon tidak membalas. / This is an automatic email; please do not reply.',
      ].join('\n'),
    })
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(caller),
      action: 'user.created',
      targetType: 'user',
      targetId: row.id,
      after: await audited(trx, row),
      requestId: context.requestId,
    })
    return toOrgUser(row, { maskNik: false })
  })
  return conflictOnDuplicate(created, USERNAME_TAKEN)
}

/** The target must be someone the caller manages: never themselves, never a higher or equal level. */
async function managedTarget(db: Db, caller: OrgCaller, orgId: string, userId: string) {
  const target = await repo.findOrgUser(db, orgId, userId)
  if (!target) throw notFound()
  if (target.id === caller.id) {
    throw forbidden('You cannot change your own account here (your level and menus are changed by your parent user).', 'Anda tidak dapat mengubah akun sendiri di sini (level dan menu Anda diubah oleh pengguna induk).')
  }
  requireManages(caller, target.level)
  return target
}

export async function updateUser(db: Db, principal: Principal, orgId: string, userId: string, body: UpdateOrgUser, requestId: string): Promise<OrgUser> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'edit')
  const target = await managedTarget(db, caller, orgId, userId)
  const groupChanges = body.groupId !== undefined && body.groupId !== target.group_id
  let level = target.level
  if (groupChanges) {
    if (target.created_by !== caller.id) {
      throw forbidden('Only the user who created this user may change their menus.', 'Hanya pengguna yang membuat pengguna ini yang dapat mengubah menunya.')
    }
    level = (await assignableGroup(db, caller, orgId, body.groupId!)).level
  }
  const patch: Updateable<UsersTable> = {
    ...(body.fullName !== undefined ? { full_name: body.fullName.trim() } : {}),
    ...(body.position !== undefined ? { position: body.position.trim() } : {}),
    ...(body.nik !== undefined ? { nik: normaliseNik(body.nik) } : {}),
    ...(body.employeeNumber !== undefined ? { employee_number: body.employeeNumber } : {}),
    ...(body.sikNumber !== undefined ? { sik_number: body.sikNumber } : {}),
    ...(body.phone !== undefined ? { phone: body.phone } : {}),
    ...(body.mobile !== undefined ? { mobile: body.mobile } : {}),
    ...(body.fax !== undefined ? { fax: body.fax } : {}),
    ...(body.email !== undefined ? { email: body.email.trim() } : {}),
    ...(body.address !== undefined ? { address: body.address.trim() } : {}),
    ...(body.postalCode !== undefined ? { postal_code: body.postalCode } : {}),
    ...(body.shippingLineCode !== undefined ? { shipping_line_code: body.shippingLineCode } : {}),
    ...(groupChanges ? { group_id: body.groupId, level } : {}),
  }
  return db.transaction().execute(async (trx) => {
    const before = await audited(trx, target)
    const row = await repo.updateOrgUser(trx, userId, patch)
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(caller),
      action: groupChanges ? 'user.group_changed' : 'user.updated',
      targetType: 'user',
      targetId: userId,
      before,
      after: await audited(trx, row),
      requestId,
    })
    return toOrgUser(row, { maskNik: false })
  })
}

export async function disableUser(db: Db, principal: Principal, orgId: string, userId: string, requestId: string): Promise<OrgUser> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'delete')
  const target = await managedTarget(db, caller, orgId, userId)
  return db.transaction().execute(async (trx) => {
    const before = await audited(trx, target)
    const row = await repo.updateOrgUser(trx, userId, { status: 'disabled' })
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'user.disabled', targetType: 'user', targetId: userId, before, after: await audited(trx, row), requestId })
    return toOrgUser(row, { maskNik: false })
  })
}
