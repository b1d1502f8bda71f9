import { readFile } from 'node:fs/promises'
import t from 'tap'
import { CONTRACT_PATH, serializeContract } from '../src/contract.ts'
import { buildTestApp, setupTestContext } from './helpers/app.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const

t.test('the committed contract is exactly what the server publishes', async (t) => {
  const committed = await readFile(CONTRACT_PATH, 'utf8')
  const served = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(served.statusCode, 200)
  t.same(served.json(), JSON.parse(committed), 'GET /openapi.json matches openapi/openapi.json (run `npm run contract:export`)')
  t.equal(serializeContract(app), committed, 'byte for byte')
})

t.test('every operation is documented for integrators', async (t) => {
  const document = JSON.parse(await readFile(CONTRACT_PATH, 'utf8'))
  t.equal(document.openapi, '3.1.0')
  const operationIds = new Set<string>()
  for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as
        | { operationId?: string; summary?: string; tags?: string[]; responses: Record<string, { content?: Record<string, unknown> }> }
        | undefined
      if (!operation) continue
      const name = `${method.toUpperCase()} ${path}`
      t.ok(operation.operationId, `${name} has an operationId`)
      t.notOk(operationIds.has(operation.operationId!), `${name} operationId is unique`)
      operationIds.add(operation.operationId!)
      t.ok(operation.summary, `${name} has a summary`)
      t.ok(operation.tags?.length, `${name} has tags`)
      t.ok(Object.keys(operation.responses).some((s) => s.startsWith('2')), `${name} declares a success response`)
      t.ok(operation.responses['500'], `${name} declares its 500 problem`)
      t.ok(operation.responses['429'], `${name} declares its 429 problem`)
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && name !== 'GET /health/ready') {
          t.ok(response.content?.['application/problem+json'], `${name} ${status} is a problem+json response`)
        }
      }
    }
  }
  t.ok(operationIds.size > 0)
  t.ok(document.components.schemas.Problem, 'Problem is a named component')
})

t.test('Swagger UI is served at /docs', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(response.statusCode, 200)
  t.match(response.body, /swagger-ui/i)
})
