/**
 * Issue 8 item 2: validation cost is bounded.
 * - Every request schema of every route (body, query, path, headers; the sandbox's too) bounds
 *   every array (`maxItems`) and every string (`maxLength`, or an enum/const): a walk fails on any
 *   unbounded one, so a new route cannot bring the problem back.
 * - A huge array of invalid `$ref` items answers fast, with at most 20 listed errors (the answer
 *   stays small), and an ordinary form still lists every invalid field.
 * - A caller of another organisation is refused before the body is validated.
 */
import t from 'tap'
import { DEFAULT_BODY_LIMIT } from '../../src/app.ts'
import { MAX_JSON_DEPTH, MAX_JSON_MEMBER_NAMES } from '../../src/http/json-body.ts'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'
import { api, createOrg } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()
const org = await createOrg(app, '8120000000001')
const other = await createOrg(app, '8120000000002')
const minter = tokenMinter(app)
const superAdmin = minter.forUser(org.superAdmin.userId, { orgId: org.orgId })

type Schema = Record<string, unknown>

/** Paths (route part + JSON pointer into the schema) of every unbounded array or string. */
function unbounded(schema: unknown, where: string, shared: Record<string, Schema>, seen = new Set<unknown>()): string[] {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return []
  seen.add(schema)
  const node = schema as Schema
  const found: string[] = []
  if (typeof node.$ref === 'string') {
    const target = shared[node.$ref.replace(/^#\/components\/schemas\//, '').replace(/#$/, '')]
    if (!target) return [`${where}: unresolved $ref ${node.$ref}`]
    found.push(...unbounded(target, `${where}→${node.$ref}`, shared, seen))
  }
  const types = Array.isArray(node.type) ? node.type : [node.type]
  const fixed = 'enum' in node || 'const' in node
  if (types.includes('string') && !fixed && typeof node.maxLength !== 'number' && node.format !== 'binary') found.push(`${where}: string without maxLength`)
  if (types.includes('array') && typeof node.maxItems !== 'number') found.push(`${where}: array without maxItems`)
  if (types.includes('object') && node.additionalProperties !== false && node.additionalProperties !== undefined && typeof node.maxProperties !== 'number') {
    found.push(`${where}: open object without maxProperties`)
  }
  for (const key of ['properties', 'patternProperties', '$defs', 'definitions']) {
    const children = node[key]
    if (children && typeof children === 'object') for (const [name, child] of Object.entries(children)) found.push(...unbounded(child, `${where}/${name}`, shared, seen))
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains']) {
    if (node[key] && typeof node[key] === 'object') found.push(...unbounded(node[key], `${where}/${key}`, shared, seen))
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((child, i) => found.push(...unbounded(child, `${where}/${key}/${i}`, shared, seen)))
  }
  return found
}

type Operation = { parameters?: { in: string; name: string; schema: unknown }[]; requestBody?: { content: Record<string, { schema: unknown }> } }

t.test('every request schema of every route bounds its arrays and strings', async (t) => {
  // The app's own OpenAPI document: every route with a schema, as Fastify validates it (the
  // contract test keeps it equal to the live schemas). Routes without one (the sign-in pages,
  // the OIDC provider) read no structured input.
  const document = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } }
  const shared = document.components.schemas
  const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ where: `${method.toUpperCase()} ${path}`, operation })))
  t.ok(operations.length > 30, `the walk sees the operations (${operations.length})`)
  t.ok(operations.some(({ where }) => where.includes('/v1/sandbox/')), 'sandbox operations included')
  const problems: string[] = []
  for (const { where, operation } of operations) {
    for (const parameter of operation.parameters ?? []) problems.push(...unbounded(parameter.schema, `${where} ${parameter.in} ${parameter.name}`, shared))
    for (const [type, content] of Object.entries(operation.requestBody?.content ?? {})) problems.push(...unbounded(content.schema, `${where} body (${type})`, shared))
  }
  t.same(problems, [], 'no unbounded array or string')
})

t.test('the walk itself finds an unbounded array and string', async (t) => {
  const found = unbounded({ type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } }, 'probe', {})
  t.same(found, ['probe/a: array without maxItems', 'probe/a/items: string without maxLength'])
})


t.test('thousands of invalid $ref items: a fast, small 422 that says it stopped at the first error', async (t) => {
  // As many as fit under the JSON body limit (the 60,000 no longer fit in 64 KiB).
  const rights = Array.from({ length: Math.floor((DEFAULT_BODY_LIMIT - 100) / 16) }, () => ({ menu: 'NOPE' }))
  const payload = JSON.stringify({ level: 'admin', name: 'Tim', rights })
  const started = performance.now()
  const response = await api(app, superAdmin, 'POST', `/v1/orgs/${org.orgId}/groups`, payload, { 'content-type': 'application/json' })
  const elapsed = performance.now() - started
  t.equal(response.statusCode, 422)
  t.ok(elapsed < 1000, `answered in ${Math.round(elapsed)} ms (was seconds)`)
  const body = response.json()
  t.ok(body.errors.length >= 1 && body.errors.length <= 20, `${body.errors.length} errors listed`)
  t.ok(response.body.length < 4096, `the answer is small (${response.body.length} bytes)`)
  t.match(body.detail, /stopped at the first/)
})

t.test('JSON that would be costly to parse is refused before JSON.parse', async (t) => {
  const url = `/v1/orgs/${org.orgId}/groups`
  const deep = `{"level":"admin","name":"x","rights":${'['.repeat(20_000)}${']'.repeat(20_000)}}`
  const nested = await api(app, superAdmin, 'POST', url, deep, { 'content-type': 'application/json' })
  t.equal(nested.statusCode, 400)
  t.match(nested.json().detail, new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`))
  const names = Object.fromEntries(Array.from({ length: MAX_JSON_MEMBER_NAMES + 1 }, (_, i) => [`f${i}`, 1]))
  const wide = await api(app, superAdmin, 'POST', url, { level: 'admin', name: 'x', rights: [], ...names })
  t.equal(wide.statusCode, 400)
  t.match(wide.json().detail, /distinct member names/)
  const tooBig = await api(app, superAdmin, 'POST', url, { level: 'admin', name: 'x'.repeat(DEFAULT_BODY_LIMIT), rights: [] })
  t.equal(tooBig.statusCode, 413, 'JSON bodies are limited to 64 KiB')
  const fine = await api(app, superAdmin, 'POST', url, { level: 'admin', name: 'Tim A', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  t.equal(fine.statusCode, 201, 'an ordinary body still passes')
})

t.test('a small form with many errors lists at most 20 and says how many exist', async (t) => {
  const rights = Array.from({ length: 30 }, () => ({ menu: 'NOT_A_MENU', actions: ['view'] }))
  const response = await api(app, superAdmin, 'POST', `/v1/orgs/${org.orgId}/groups`, { level: 'admin', name: 'Tim', rights })
  t.equal(response.statusCode, 422)
  const body = response.json()
  t.equal(body.errors.length, 20)
  t.match(body.detail, /The request has \d+ invalid fields; the first 20 are listed\./)
})

t.test('an ordinary form still lists every invalid field', async (t) => {
  const response = await api(app, superAdmin, 'POST', `/v1/orgs/${org.orgId}/groups`, { level: 'boss', name: '', rights: 'all' })
  const body = response.json()
  t.equal(response.statusCode, 422)
  const pointers = new Set(body.errors.map((error: { pointer: string }) => error.pointer.split('/').slice(0, 2).join('/')))
  t.same([...pointers].sort(), ['/level', '/name', '/rights'], 'each invalid field is named')
})

t.test('another organisation is refused before its body is validated', async (t) => {
  const huge = { level: 'admin', name: '', rights: Array.from({ length: 2_000 }, () => ({ menu: 'X', actions: [] })) }
  const response = await api(app, superAdmin, 'POST', `/v1/orgs/${other.orgId}/groups`, huge)
  t.equal(response.statusCode, 404, 'the same 404 the service gives, not a 422 about the body')
  t.equal(response.json().code, 'NOT_FOUND')
  const operatorsOnly = await api(app, superAdmin, 'PUT', `/v1/orgs/${org.orgId}/menus`, { menus: 'not even an array' })
  t.equal(operatorsOnly.statusCode, 403, 'operators-only routes refuse members before validation')
  const ownOrg = await api(app, superAdmin, 'POST', `/v1/orgs/${org.orgId}/groups`, { level: 'admin', name: '' , rights: [] })
  t.equal(ownOrg.statusCode, 422, 'members of the organisation get the validation answer')
})
