import { readFile } from 'node:fs/promises'
import t from 'tap'
import { buildApp } from '../src/app.ts'
import { CONTRACT_PATHS, contractEnv, serializeContract, type ContractMode } from '../src/contract.ts'
import { loadConfig } from '../src/config.ts'
import { generateSigningKey } from '../src/identity/keys.ts'
import { setupTestContext } from './helpers/app.ts'

const context = await setupTestContext(t)
const signingKey = generateSigningKey()
const apps = {} as Record<ContractMode, Awaited<ReturnType<typeof buildApp>>>
for (const mode of Object.keys(CONTRACT_PATHS) as ContractMode[]) {
  apps[mode] = await buildApp({ config: loadConfig(contractEnv(mode, signingKey)), database: context.database.handle, upstreams: context.upstreams, upstreamUrls: context.sandbox })
  t.teardown(() => apps[mode].close())
  await apps[mode].ready()
}
const app = apps.sandbox

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const

for (const mode of Object.keys(CONTRACT_PATHS) as ContractMode[]) {
  t.test(`the committed ${mode} contract is exactly what a ${mode} server publishes`, async (t) => {
    const committed = await readFile(CONTRACT_PATHS[mode], 'utf8')
    const served = await apps[mode].inject({ method: 'GET', url: '/openapi.json' })
    t.equal(served.statusCode, 200)
    t.same(served.json(), JSON.parse(committed), `GET /openapi.json matches ${CONTRACT_PATHS[mode].pathname} (run \`npm run contract:export\`)`)
    t.equal(serializeContract(apps[mode]), committed, 'byte for byte')
  })
}

t.test('sandbox operations appear only in the sandbox contract', async (t) => {
  const production = JSON.parse(await readFile(CONTRACT_PATHS.production, 'utf8'))
  const sandbox = JSON.parse(await readFile(CONTRACT_PATHS.sandbox, 'utf8'))
  const sandboxPaths = Object.keys(sandbox.paths).filter((path) => path.startsWith('/v1/sandbox/'))
  t.ok(sandboxPaths.length >= 3, 'the sandbox contract has the sandbox operations')
  t.same(Object.keys(production.paths).filter((path) => path.startsWith('/v1/sandbox/')), [], 'production has none')
  const notFound = await apps.production.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })
  t.equal(notFound.statusCode, 404, 'and a production server does not serve them')
})

t.test('every operation is documented for integrators', async (t) => {
  const document = JSON.parse(await readFile(CONTRACT_PATHS.sandbox, 'utf8'))
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
      // Health probes are never rate-limited, so they declare no 429; every other operation does.
      if (name.startsWith('GET /health/')) t.notOk(operation.responses['429'], `${name} declares no 429: never rate-limited`)
      else t.ok(operation.responses['429'], `${name} declares its 429 problem`)
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
