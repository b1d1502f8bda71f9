/**
 * Users: the add-user form, the set-password email, the level rules, privilege escalation
 * attempts, NIK handling, and per route the two denials (another organisation 404, no right 403).
 */
import t from 'tap'
import { api, createActiveUser, createGroup, createOrg, FULL_USER_MANAGEMENT, setupRbacTest, userForm, userToken } from '../helpers/orgs.ts'

const { context, app, minter, db } = await setupRbacTest(t)

const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const superB = userToken(minter, orgB.superAdmin.userId, orgB.orgId)

const adminGroup = await createGroup(app, superA, orgA.orgId, {
  level: 'admin',
  name: 'Admins',
  rights: [...FULL_USER_MANAGEMENT, { menu: 'SSM_PERIZINAN', actions: ['create', 'view'] }],
})
const broadGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Broad', rights: [{ menu: 'SSM_MIGAS', actions: ['view'] }] })
const narrowGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Narrow', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const managerGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Managers', rights: [...FULL_USER_MANAGEMENT] })
const adminAId = await createActiveUser(app, context, superA, orgA.orgId, 'admin', adminGroup)
const adminA = userToken(minter, adminAId, orgA.orgId)
const admin2Id = await createActiveUser(app, context, superA, orgA.orgId, 'admin', adminGroup)
const admin2 = userToken(minter, admin2Id, orgA.orgId)
const narrowId = await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', narrowGroup)
const narrowA = userToken(minter, narrowId, orgA.orgId)
const managerId = await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', managerGroup)
const managerA = userToken(minter, managerId, orgA.orgId)
const groupB = await createGroup(app, superB, orgB.orgId, { level: 'non_admin', name: 'B', rights: [] })
const userB = await createActiveUser(app, context, superB, orgB.orgId, 'non_admin', groupB)

const users = (orgId: string) => `/v1/orgs/${orgId}/users`

t.test('the add-user form creates a pending user and mails a set-password link', async (t) => {
  const form = userForm('admin', adminGroup, { employeeNumber: 'EMP-7', sikNumber: 'SIK/2026/1', fax: '021-555 1234', shippingLineCode: 'MSK1' })
  const response = await api(app, superA, 'POST', users(orgA.orgId), form)
  t.equal(response.statusCode, 201, response.body)
  const user = response.json()
  t.match(user, {
    organisationId: orgA.orgId,
    username: form.username,
    fullName: form.fullName,
    position: 'Staf',
    nik: '3171234567890001',
    employeeNumber: 'EMP-7',
    sikNumber: 'SIK/2026/1',
    fax: '021-555 1234',
    postalCode: '10110',
    shippingLineCode: 'MSK1',
    level: 'admin',
    groupId: adminGroup,
    status: 'pending_verification',
    createdBy: orgA.superAdmin.userId,
  })
  const mail = await db.selectFrom('mail_outbox').selectAll().where('recipient', '=', form.email as string).executeTakeFirst()
  t.ok(mail, 'an email is queued')
  t.match(mail?.body_text, /http:\/\/gateway\.test\/account\/reset-password\?token=[A-Za-z0-9_-]{20,}/, 'with the set-password link')
  t.notMatch(mail?.body_text, /3171234567890001/, 'and no NIK')
  const token = await db.selectFrom('one_time_tokens').select(['purpose', 'expires_at']).where('user_id', '=', user.id).executeTakeFirst()
  t.equal(token?.purpose, 'set_password')
  const audit = await db.selectFrom('audit_events').selectAll().where('target_id', '=', user.id).executeTakeFirstOrThrow()
  t.match(audit, { action: 'user.created', actor_kind: 'user', actor_id: orgA.superAdmin.userId, request_id: response.headers['x-request-id'] })
  t.notMatch(JSON.stringify(audit.after), /3171234567890001/, 'the audit log keeps no NIK')
  t.match(audit.after, { level: 'admin', groupId: adminGroup, rights: [{ menu: 'SSM_PERIZINAN', actions: ['create', 'view'] }] })
})

t.test('required fields of the form', async (t) => {
  for (const field of ['username', 'fullName', 'position', 'nik', 'phone', 'mobile', 'email', 'address', 'postalCode', 'level', 'groupId', 'acceptTerms']) {
    const form = userForm('non_admin', narrowGroup)
    delete form[field]
    const response = await api(app, superA, 'POST', users(orgA.orgId), form)
    t.equal(response.statusCode, 422, `${field} is required`)
  }
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), userForm('non_admin', narrowGroup, { acceptTerms: false }))).statusCode, 422, 'terms must be accepted')
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), userForm('non_admin', narrowGroup, { nik: '12345' }))).statusCode, 422, 'a NIK has 16 digits')
  const taken = userForm('non_admin', narrowGroup)
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), taken)).statusCode, 201)
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), { ...userForm('non_admin', narrowGroup), username: String(taken.username).toUpperCase() })).statusCode, 409, 'usernames are unique')
})

t.test('levels: super admin creates admins and non-admins, admin non-admins, non-admin nobody', async (t) => {
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), userForm('non_admin', narrowGroup))).statusCode, 201, 'super admin → non-admin')
  t.equal((await api(app, adminA, 'POST', users(orgA.orgId), userForm('non_admin', narrowGroup))).statusCode, 201, 'admin → non-admin')
  t.equal((await api(app, adminA, 'POST', users(orgA.orgId), userForm('admin', adminGroup))).statusCode, 403, 'admin → admin: 403')
  const nonAdmin = await api(app, managerA, 'POST', users(orgA.orgId), userForm('non_admin', narrowGroup))
  t.equal(nonAdmin.statusCode, 403, 'a non-admin with every User Management right still creates nobody')
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), userForm('admin', adminGroup, { level: 'super_admin' }))).statusCode, 422, 'super admin is not a selectable level')
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), userForm('non_admin', adminGroup))).statusCode, 422, 'the level must match the group')
  t.equal((await api(app, superA, 'POST', users(orgA.orgId), userForm('non_admin', groupB))).statusCode, 422, 'a group of another organisation is unknown')
})

t.test('escalation: nobody puts a user in a group holding rights they lack', async (t) => {
  const response = await api(app, adminA, 'POST', users(orgA.orgId), userForm('non_admin', broadGroup))
  t.equal(response.statusCode, 403, 'SSM Migas is not the admin\'s to give')
})

t.test('mass assignment: organisation, status, level, creator are not writable', async (t) => {
  for (const extra of [{ organisationId: orgB.orgId }, { orgId: orgB.orgId }, { status: 'active' }, { createdBy: adminAId }, { id: userB }]) {
    const response = await api(app, superA, 'POST', users(orgA.orgId), userForm('non_admin', narrowGroup, extra))
    t.equal(response.statusCode, 422, `create with ${Object.keys(extra)[0]}: 422`)
  }
  for (const extra of [{ level: 'admin' }, { organisationId: orgB.orgId }, { status: 'active' }, { username: 'renamed' }]) {
    const response = await api(app, superA, 'PATCH', `${users(orgA.orgId)}/${narrowId}`, extra)
    t.equal(response.statusCode, 422, `update with ${Object.keys(extra)[0]}: 422`)
  }
})

t.test('nobody edits their own account or level here, nor a user at or above their level', async (t) => {
  t.equal((await api(app, adminA, 'PATCH', `${users(orgA.orgId)}/${adminAId}`, { groupId: managerGroup })).statusCode, 403, 'an admin moving themselves')
  t.equal((await api(app, adminA, 'PATCH', `${users(orgA.orgId)}/${adminAId}`, { position: 'Director' })).statusCode, 403, 'an admin editing themselves')
  t.equal((await api(app, adminA, 'PATCH', `${users(orgA.orgId)}/${admin2Id}`, { position: 'Clerk' })).statusCode, 403, 'an admin editing another admin')
  t.equal((await api(app, adminA, 'PATCH', `${users(orgA.orgId)}/${orgA.superAdmin.userId}`, { position: 'Clerk' })).statusCode, 403, 'an admin editing the super admin')
  t.equal((await api(app, superA, 'PATCH', `${users(orgA.orgId)}/${orgA.superAdmin.userId}`, { position: 'Boss' })).statusCode, 403, 'the super admin editing themselves')
  t.equal((await api(app, adminA, 'POST', `${users(orgA.orgId)}/${admin2Id}/disable`)).statusCode, 403, 'an admin disabling another admin')
})

t.test('only the user who created a user changes their menus, and it takes effect on the next request', async (t) => {
  const childId = await createActiveUser(app, context, adminA, orgA.orgId, 'non_admin', narrowGroup)
  const child = userToken(minter, childId, orgA.orgId)
  t.same((await api(app, child, 'GET', '/v1/me')).json().rights, [{ menu: 'SSM_PERIZINAN', actions: ['view'] }], 'rights before')
  t.equal((await api(app, child, 'GET', users(orgA.orgId))).statusCode, 403, 'cannot list users yet')

  const bySuper = await api(app, superA, 'PATCH', `${users(orgA.orgId)}/${childId}`, { groupId: managerGroup })
  t.equal(bySuper.statusCode, 403, 'not even the super admin: the admin created this user')
  const byOtherAdmin = await api(app, admin2, 'PATCH', `${users(orgA.orgId)}/${childId}`, { groupId: managerGroup })
  t.equal(byOtherAdmin.statusCode, 403, 'nor another admin')
  const byOwnerBeyond = await api(app, adminA, 'PATCH', `${users(orgA.orgId)}/${childId}`, { groupId: broadGroup })
  t.equal(byOwnerBeyond.statusCode, 403, 'the creator cannot move them to rights the creator lacks')

  const byCreator = await api(app, adminA, 'PATCH', `${users(orgA.orgId)}/${childId}`, { groupId: managerGroup })
  t.equal(byCreator.statusCode, 200, byCreator.body)
  t.equal((await api(app, child, 'GET', users(orgA.orgId))).statusCode, 200, 'the same token lists users on the next request')
  t.same((await api(app, child, 'GET', '/v1/me')).json().rights, [{ menu: 'USER_MANAGEMENT', actions: ['create', 'view', 'edit', 'delete'] }], 'rights after')
  const audit = await db.selectFrom('audit_events').selectAll().where('target_id', '=', childId).where('action', '=', 'user.group_changed').executeTakeFirstOrThrow()
  t.match(audit, { before: { groupId: narrowGroup, rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] }, after: { groupId: managerGroup } }, 'audited with rights before and after')

  const profile = await api(app, superA, 'PATCH', `${users(orgA.orgId)}/${childId}`, { position: 'Supervisor', fax: null })
  t.equal(profile.statusCode, 200, 'anyone above may edit the profile')
  t.match(profile.json(), { position: 'Supervisor', fax: null })
})

t.test('NIKs: full when reading one user, masked in lists', async (t) => {
  const one = await api(app, superA, 'GET', `${users(orgA.orgId)}/${narrowId}`)
  t.equal(one.json().nik, '3171234567890001')
  const list = await api(app, superA, 'GET', `${users(orgA.orgId)}?groupId=${narrowGroup}&limit=100`)
  t.equal(list.statusCode, 200)
  const item = list.json().items.find((u: { id: string }) => u.id === narrowId)
  t.equal(item.nik, '3171********0001')
  t.notMatch(list.body, /3171234567890001/, 'no full NIK anywhere in the list')
})

t.test('disabling a user stops their token at once', async (t) => {
  const victimId = await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', managerGroup)
  const victim = userToken(minter, victimId, orgA.orgId)
  t.equal((await api(app, victim, 'GET', users(orgA.orgId))).statusCode, 200)
  const disabled = await api(app, adminA, 'POST', `${users(orgA.orgId)}/${victimId}/disable`)
  t.equal(disabled.statusCode, 200)
  t.equal(disabled.json().status, 'disabled')
  t.equal((await api(app, victim, 'GET', users(orgA.orgId))).statusCode, 401, 'the next request is refused')
})

t.test('every user route: another organisation is 404, a missing right is 403', async (t) => {
  const routes: { method: 'GET' | 'POST' | 'PATCH'; path: (orgId: string, userId: string) => string; body?: unknown }[] = [
    { method: 'GET', path: (o) => users(o) },
    { method: 'POST', path: (o) => users(o), body: userForm('non_admin', narrowGroup) },
    { method: 'GET', path: (o, u) => `${users(o)}/${u}` },
    { method: 'PATCH', path: (o, u) => `${users(o)}/${u}`, body: { position: 'Probe' } },
    { method: 'POST', path: (o, u) => `${users(o)}/${u}/disable` },
  ]
  for (const route of routes) {
    const label = `${route.method} ${route.path(':orgId', ':userId')}`
    const otherOrg = await api(app, superA, route.method, route.path(orgB.orgId, userB), route.body)
    t.equal(otherOrg.statusCode, 404, `${label}: another organisation's path is 404`)
    if (route.path('o', 'u') !== users('o')) {
      t.equal((await api(app, superA, route.method, route.path(orgA.orgId, userB), route.body)).statusCode, 404, `${label}: another organisation's user under my path is 404`)
    }
    const noRight = await api(app, narrowA, route.method, route.path(orgA.orgId, managerId), route.body)
    t.equal(noRight.statusCode, 403, `${label}: without the User Management right, 403`)
  }
})
