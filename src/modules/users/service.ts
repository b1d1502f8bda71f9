/**
 * An organisation's users. Authorization first (membership, then the User Management right),
 * then the level rule (a super admin manages admins and non-admins, an admin non-admins, a
 * non-admin nobody, nobody themselves), then the grant rule (a user's group may not hold a right
 * the caller lacks). A user's menus (their group) are changed only by the user who created them,
 * and a user is changed only by an editor holding every right of the user's group: whoever may
 * edit an account could otherwise take over rights they lack (a new email, then a reset).
 * A new user gets a set-password link by email, in the same transaction as the user. A changed
 * email is pending until confirmed from the new address (identity/accounts/email-change.ts).
 * Disabling a user ends every session of theirs at once.
 */
import type { Kysely, Transaction, Updateable } from 'kysely'
import { ACTIONS, menuDefinition, type Action } from '../orgs/menu-catalogue.ts'
import { cancelEmailChange, startEmailChange } from '../identity/accounts/email-change.ts'
import { emailIsVerified, verifiedEmails } from '../identity/accounts/email-verification.ts'
import { revokeAccountSessions } from '../../identity/adapter.ts'
import type { Database, UsersTable } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { actorOf } from '../audit/service.ts'
import { generateOneTimeToken } from '../identity/accounts/one-time-token.ts'
import { isGeneratedShape } from '../identity/accounts/username.ts'
import { insertOneTimeToken, insertUser, queueMail } from '../identity/accounts/repository.ts'
import { conflictOnDuplicate, forbidden, groupRights, notFound, organisationMenuCodes, requireOrgRight, rightsList, type OrgCaller } from '../orgs/authorize.ts'
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

/** What toOrgUser reads of a row: a full row, or a listed one (repo.listOrgUsers, its timestamps already ISO text). */
type ShownUserRow = repo.ListedUserRow | repo.OrgUserRow

/** A timestamp as the API writes it: a Date of a full row, or the text a list's query wrote (the same, see src/db/iso-timestamp.ts). */
const iso = (value: Date | string): string => (typeof value === 'string' ? value : value.toISOString())

function toOrgUser(row: ShownUserRow, options: { maskNik: boolean; verifiedEmail: string | null | undefined }): OrgUser {
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
    emailVerified: emailIsVerified(row.email, options.verifiedEmail),
    pendingEmail: row.pending_email,
    address: row.address,
    postalCode: row.postal_code,
    shippingLineCode: row.shipping_line_code,
    level: row.level as OrgUser['level'],
    groupId: row.group_id,
    status: row.status,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
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
    (row) => toOrgUser(row, { maskNik: true, verifiedEmail: row.verified_email }),
    (cursor) => nextLink(requestUrl, cursor),
  )
}

export async function getUser(db: Db, principal: Principal, orgId: string, userId: string): Promise<OrgUser> {
  await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'view')
  const row = await repo.findOrgUser(db, orgId, userId)
  if (!row) throw notFound()
  return shown(db, row)
}

/** One user as the API shows them (full NIK, verification state). */
async function shown(db: Db | Transaction<Database>, row: repo.OrgUserRow): Promise<OrgUser> {
  const verified = await verifiedEmails(db, [row.id])
  return toOrgUser(row, { maskNik: false, verifiedEmail: verified.get(row.id) })
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
  if (isGeneratedShape(body.username)) {
    const detail = { en: 'This shape is reserved for generated usernames (USER.YYYYMMDD.NN.NNNNN); choose another.', id: 'Bentuk ini khusus untuk nama pengguna buatan sistem (USER.YYYYMMDD.NN.NNNNN); pilih yang lain.' }
    throw new AppError('VALIDATION_FAILED', { detail, errors: [{ pointer: '/username', in: 'body', detail: detail.en, reason: 'username_reserved' }] })
  }
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
    return toOrgUser(row, { maskNik: false, verifiedEmail: null })
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

/**
 * Every right the target's group holds or can hold again: inactive groups and switched-off menus
 * included (re-enabling them needs no new grant), limited to the organisation's menus and to the
 * actions each menu supports.
 */
async function latentGroupRights(db: Db, orgId: string, groupId: string | null): Promise<{ menu: string; action: Action }[]> {
  if (!groupId) return []
  const orgMenus = new Set(await organisationMenuCodes(db, orgId))
  const rows = await db.selectFrom('group_menu_rights').selectAll().where('group_id', '=', groupId).execute()
  return rows
    .filter((row) => orgMenus.has(row.menu_code))
    .flatMap((row) => {
      const supported = menuDefinition(row.menu_code)?.actions ?? []
      return ACTIONS.filter((action) => row[`can_${action}`] && supported.includes(action)).map((action) => ({ menu: row.menu_code, action }))
    })
}

/** An editor changes only users whose rights they hold in full. */
async function requireHoldsTargetRights(db: Db, caller: OrgCaller, orgId: string, target: repo.OrgUserRow) {
  const rights = await latentGroupRights(db, orgId, target.group_id)
  const missing = rights.find(({ menu, action }) => !caller.rights.get(menu)?.has(action))
  if (missing) {
    const name = menuDefinition(missing.menu)?.name
    throw forbidden(
      `You cannot change this user: they hold "${missing.action}" on ${name?.en ?? missing.menu}, which you do not hold.`,
      `Anda tidak dapat mengubah pengguna ini: pengguna memiliki hak "${missing.action}" pada ${name?.id ?? missing.menu}, yang tidak Anda miliki.`,
    )
  }
}

export async function updateUser(
  db: Db,
  principal: Principal,
  orgId: string,
  userId: string,
  body: UpdateOrgUser,
  context: { requestId: string; confirmEmailUrl: (token: string) => string },
): Promise<OrgUser> {
  const { requestId } = context
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'edit')
  const target = await managedTarget(db, caller, orgId, userId)
  await requireHoldsTargetRights(db, caller, orgId, target)
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
    ...(body.address !== undefined ? { address: body.address.trim() } : {}),
    ...(body.postalCode !== undefined ? { postal_code: body.postalCode } : {}),
    ...(body.shippingLineCode !== undefined ? { shipping_line_code: body.shippingLineCode } : {}),
    ...(groupChanges ? { group_id: body.groupId, level } : {}),
  }
  const newEmail = body.email?.trim()
  const verified = (await verifiedEmails(db, [userId])).get(userId)
  // The same, verified address again: nothing to confirm (a pending change is dropped).
  const keepsEmail = newEmail !== undefined && newEmail.toLowerCase() === target.email.toLowerCase() && emailIsVerified(target.email, verified)
  return db.transaction().execute(async (trx) => {
    const before = { ...(await audited(trx, target)), pendingEmail: target.pending_email }
    if (newEmail !== undefined && keepsEmail) await cancelEmailChange(trx, userId)
    else if (newEmail !== undefined) {
      await startEmailChange(trx, target, newEmail, { confirmUrl: context.confirmEmailUrl, changedBy: await editorName(trx, caller) })
    }
    const row = await repo.updateOrgUser(trx, userId, patch)
    await recordAudit(trx, {
      organisationId: orgId,
      actor: actorOf(caller),
      action: groupChanges ? 'user.group_changed' : 'user.updated',
      targetType: 'user',
      targetId: userId,
      before,
      after: { ...(await audited(trx, row)), pendingEmail: row.pending_email },
      requestId,
    })
    return shown(trx, row)
  })
}

async function editorName(db: Db | Transaction<Database>, caller: OrgCaller): Promise<string> {
  if (caller.kind !== 'user') return `client ${caller.id}`
  const editor = await db.selectFrom('users').select(['full_name', 'username']).where('id', '=', caller.id).executeTakeFirst()
  return editor ? `${editor.full_name} (${editor.username})` : 'An administrator'
}

export async function disableUser(db: Db, principal: Principal, orgId: string, userId: string, requestId: string): Promise<OrgUser> {
  const caller = await requireOrgRight(db, principal, orgId, 'USER_MANAGEMENT', 'delete')
  const target = await managedTarget(db, caller, orgId, userId)
  return db.transaction().execute(async (trx) => {
    const before = await audited(trx, target)
    const row = await repo.updateOrgUser(trx, userId, { status: 'disabled' })
    // Sessions, grants and refresh tokens end now; a disabled user's access tokens are refused by every organisation operation.
    const sessionsRevoked = await revokeAccountSessions(trx, userId)
    await recordAudit(trx, { organisationId: orgId, actor: actorOf(caller), action: 'user.disabled', targetType: 'user', targetId: userId, before, after: { ...(await audited(trx, row)), sessionsRevoked }, requestId })
    return shown(trx, row)
  })
}
