/**
 * Groups: CRUD, the level rule (super admin → admin and non-admin groups; admin → non-admin only),
 * the grant rule (no right you do not hold), mass assignment, and per route the two denials:
 * another organisation (404) and a missing right (403).
 */
import t from 'tap'
import { api, createActiveUser, createGroup, createOrg, FULL_USER_MANAGEMENT, setupRbacTest, userToken } from '../helpers/orgs.ts'

const { context, app, minter } = await setupRbacTest(t)

const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const superB = userToken(minter, orgB.superAdmin.userId, orgB.orgId)

const adminGroup = await createGroup(app, superA, orgA.orgId, {
  level: 'admin',
  name: 'Admins',
  rights: [...FULL_USER_MANAGEMENT, { menu: 'SSM_PERIZINAN', actions: ['create', 'view'] }],
})
const viewerGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Viewers', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const adminA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'admin', adminGroup), orgA.orgId)
const viewerA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', viewerGroup), orgA.orgId)
const groupB = await createGroup(app, superB, orgB.orgId, { level: 'non_admin', name: 'B team', rights: [] })

const groups = (orgId: string) => `/v1/orgs/${orgId}/groups`

t.test('a super admin creates, reads, lists, updates and deletes a group', async (t) => {
  const created = await api(app, superA, 'POST', groups(orgA.orgId), {
    level: 'non_admin',
    name: 'Perizinan',
    rights: [{ menu: 'SSM_PERIZINAN', actions: ['view', 'create'] }, { menu: 'SKBPPN', enabled: false, actions: ['approve', 'reject'] }],
  })
  t.equal(created.statusCode, 201, created.body)
  const group = created.json()
  t.match(group, {
    organisationId: orgA.orgId,
    level: 'non_admin',
    name: 'Perizinan',
    status: 'active',
    rights: [
      { menu: 'SKBPPN', enabled: false, actions: ['approve', 'reject'] },
      { menu: 'SSM_PERIZINAN', enabled: true, actions: ['create', 'view'] },
    ],
  })
  const read = await api(app, superA, 'GET', `${groups(orgA.orgId)}/${group.id}`)
  t.equal(read.statusCode, 200)
  t.same(read.json(), group)

  const updated = await api(app, superA, 'PATCH', `${groups(orgA.orgId)}/${group.id}`, { name: 'Perizinan 2', status: 'inactive', rights: [] })
  t.equal(updated.statusCode, 200, updated.body)
  t.match(updated.json(), { name: 'Perizinan 2', status: 'inactive', rights: [] })

  const list = await api(app, superA, 'GET', `${groups(orgA.orgId)}?status=inactive`)
  t.equal(list.statusCode, 200)
  t.same(list.json().items.map((g: { id: string }) => g.id), [group.id], 'filter by status')

  const deleted = await api(app, superA, 'DELETE', `${groups(orgA.orgId)}/${group.id}`)
  t.equal(deleted.statusCode, 204)
  t.equal((await api(app, superA, 'GET', `${groups(orgA.orgId)}/${group.id}`)).statusCode, 404)
})

t.test('lists page with a cursor and keep their filters in the next link', async (t) => {
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push(await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: `Paged ${i}`, rights: [] }))
  const seen: string[] = []
  let url: string | null = `${groups(orgA.orgId)}?limit=2&level=non_admin`
  let pages = 0
  while (url) {
    const page = await api(app, superA, 'GET', url)
    t.equal(page.statusCode, 200, page.body)
    seen.push(...page.json().items.map((g: { id: string; level: string }) => g.id))
    for (const item of page.json().items) t.equal(item.level, 'non_admin')
    url = page.json().next
    if (url) t.match(url, /level=non_admin/, 'the filter carries over')
    pages += 1
  }
  t.ok(pages >= 2, 'more than one page')
  t.equal(new Set(seen).size, seen.length, 'no item twice')
  for (const id of ids) t.ok(seen.includes(id), 'every group once')
  t.same(seen.slice(0, 3), [...ids].reverse(), 'newest first')
  t.equal((await api(app, superA, 'GET', `${groups(orgA.orgId)}?cursor=nonsense`)).statusCode, 422, 'a forged cursor is 422')
})

t.test('levels: an admin manages non-admin groups only; a non-admin no groups', async (t) => {
  const asAdmin = await api(app, adminA, 'POST', groups(orgA.orgId), { level: 'admin', name: 'Other admins', rights: [] })
  t.equal(asAdmin.statusCode, 403, 'an admin cannot create an admin group')
  t.equal(asAdmin.json().code, 'FORBIDDEN')
  const ok = await api(app, adminA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Admin-made', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  t.equal(ok.statusCode, 201, 'an admin creates a non-admin group')
  t.equal((await api(app, adminA, 'PATCH', `${groups(orgA.orgId)}/${adminGroup}`, { name: 'Mine now' })).statusCode, 403, 'an admin cannot edit an admin group (not even their own)')
  t.equal((await api(app, adminA, 'DELETE', `${groups(orgA.orgId)}/${adminGroup}`)).statusCode, 403, 'nor delete one')
  const superLevel = await api(app, superA, 'POST', groups(orgA.orgId), { level: 'super_admin', name: 'Supers', rights: [] })
  t.equal(superLevel.statusCode, 422, 'super admin is not a selectable group level')
})

t.test('nobody grants a right they do not hold', async (t) => {
  const beyond = await api(app, adminA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Approvers', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view', 'approve'] }] })
  t.equal(beyond.statusCode, 403, 'approve on SSM Perizinan is not the admin\'s to give')
  t.match(beyond.json().detail, /approve/)
  const otherMenu = await api(app, adminA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Migas', rights: [{ menu: 'SSM_MIGAS', actions: ['view'] }] })
  t.equal(otherMenu.statusCode, 403, 'nor a menu the admin lacks')
  const disabled = await api(app, adminA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Sleeping', rights: [{ menu: 'SSM_MIGAS', enabled: false, actions: ['view'] }] })
  t.equal(disabled.statusCode, 403, 'not even on a disabled menu (it could be enabled later)')
  const id = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Given by super', rights: [{ menu: 'SSM_MIGAS', actions: ['view'] }] })
  const rename = await api(app, adminA, 'PATCH', `${groups(orgA.orgId)}/${id}`, { name: 'Renamed by admin' })
  t.equal(rename.statusCode, 200, 'an admin may edit a group holding rights they lack, without granting any')
  const keep = await api(app, adminA, 'PATCH', `${groups(orgA.orgId)}/${id}`, { rights: [{ menu: 'SSM_MIGAS', actions: ['view'] }, { menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  t.equal(keep.statusCode, 200, 'keeping rights already there is not granting them')
  const add = await api(app, adminA, 'PATCH', `${groups(orgA.orgId)}/${id}`, { rights: [{ menu: 'SSM_MIGAS', actions: ['view', 'edit'] }] })
  t.equal(add.statusCode, 403, 'adding one they lack is')
})

t.test('bodies: unknown fields (mass assignment) and unsupported rights are 422', async (t) => {
  for (const extra of [{ organisationId: orgB.orgId }, { orgId: orgB.orgId }, { id: groupB }, { createdBy: orgA.superAdmin.userId }]) {
    const response = await api(app, superA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: `Extra ${Object.keys(extra)[0]}`, rights: [], ...extra })
    t.equal(response.statusCode, 422, `create with ${Object.keys(extra)[0]}: 422`)
  }
  const level = await api(app, superA, 'PATCH', `${groups(orgA.orgId)}/${viewerGroup}`, { level: 'admin' })
  t.equal(level.statusCode, 422, 'a group\'s level cannot be changed')
  t.match(level.json().errors, [{ pointer: '/level' }])
  const unsupported = await api(app, superA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Bad', rights: [{ menu: 'USER_MANAGEMENT', actions: ['approve'] }] })
  t.equal(unsupported.statusCode, 422, 'User Management has no Approve')
  const twice = await api(app, superA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Twice', rights: [{ menu: 'SKBPPN', actions: ['view'] }, { menu: 'SKBPPN', actions: ['edit'] }] })
  t.equal(twice.statusCode, 422, 'a menu listed twice')
  const unknownMenu = await api(app, superA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Unknown', rights: [{ menu: 'NOPE', actions: ['view'] }] })
  t.equal(unknownMenu.statusCode, 422, 'an unknown menu')
  const duplicate = await api(app, superA, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'viewers', rights: [] })
  t.equal(duplicate.statusCode, 409, 'names are unique in an organisation, whatever the case')
})

t.test('two concurrent creations of one name: one 201, one 409 (never 500)', async (t) => {
  const body = { level: 'non_admin', name: 'Raced', rights: [] }
  const statuses = (await Promise.all([1, 2, 3].map(() => api(app, superA, 'POST', groups(orgA.orgId), body)))).map((r) => r.statusCode).sort()
  t.same(statuses, [201, 409, 409])
})

t.test('a group with users cannot be deleted', async (t) => {
  const response = await api(app, superA, 'DELETE', `${groups(orgA.orgId)}/${viewerGroup}`)
  t.equal(response.statusCode, 409)
})

t.test('every group route: another organisation is 404, a missing right is 403', async (t) => {
  const routes: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: (orgId: string, groupId: string) => string; body?: unknown }[] = [
    { method: 'GET', path: (o) => groups(o) },
    { method: 'POST', path: (o) => groups(o), body: { level: 'non_admin', name: 'Probe', rights: [] } },
    { method: 'GET', path: (o, g) => `${groups(o)}/${g}` },
    { method: 'PATCH', path: (o, g) => `${groups(o)}/${g}`, body: { name: 'Probe' } },
    { method: 'DELETE', path: (o, g) => `${groups(o)}/${g}` },
  ]
  for (const route of routes) {
    const label = `${route.method} ${route.path(':orgId', ':groupId')}`
    const otherOrg = await api(app, superA, route.method, route.path(orgB.orgId, groupB), route.body)
    t.equal(otherOrg.statusCode, 404, `${label}: another organisation's path is 404`)
    t.equal(otherOrg.json().code, 'NOT_FOUND')
    if (route.path('o', 'g').endsWith('/g')) {
      const otherObject = await api(app, superA, route.method, route.path(orgA.orgId, groupB), route.body)
      t.equal(otherObject.statusCode, 404, `${label}: another organisation's group under my path is 404`)
    }
    const noRight = await api(app, viewerA, route.method, route.path(orgA.orgId, viewerGroup), route.body)
    t.equal(noRight.statusCode, 403, `${label}: without the User Management right, 403`)
    t.equal(noRight.json().code, 'FORBIDDEN')
  }
})

t.test('disabling a menu in a group removes its rights on the next request', async (t) => {
  const probe = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Probe switch', rights: [{ menu: 'USER_MANAGEMENT', actions: ['view'] }] })
  const user = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', probe), orgA.orgId)
  t.equal((await api(app, user, 'GET', groups(orgA.orgId))).statusCode, 200, 'with View on User Management')
  t.equal((await api(app, superA, 'PATCH', `${groups(orgA.orgId)}/${probe}`, { rights: [{ menu: 'USER_MANAGEMENT', enabled: false, actions: ['view'] }] })).statusCode, 200)
  t.equal((await api(app, user, 'GET', groups(orgA.orgId))).statusCode, 403, 'the same token, menu disabled: 403')
  const me = await api(app, user, 'GET', '/v1/me')
  t.same(me.json().rights, [], '/v1/me shows no rights')
  t.equal((await api(app, superA, 'PATCH', `${groups(orgA.orgId)}/${probe}`, { rights: [{ menu: 'USER_MANAGEMENT', enabled: true, actions: ['view'] }] })).statusCode, 200)
  t.equal((await api(app, user, 'GET', groups(orgA.orgId))).statusCode, 200, 'enabled again, rights kept')
  t.equal((await api(app, superA, 'PATCH', `${groups(orgA.orgId)}/${probe}`, { status: 'inactive' })).statusCode, 200)
  t.equal((await api(app, user, 'GET', groups(orgA.orgId))).statusCode, 403, 'an inactive group grants nothing')
})

t.test('a token without org:admin cannot write, whatever the rights', async (t) => {
  const readOnly = userToken(minter, orgA.superAdmin.userId, orgA.orgId, 'openid org:read')
  const response = await api(app, readOnly, 'POST', groups(orgA.orgId), { level: 'non_admin', name: 'Scoped', rights: [] })
  t.equal(response.statusCode, 403)
  t.equal(response.json().code, 'INSUFFICIENT_SCOPE')
})
