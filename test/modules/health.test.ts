import t from 'tap'
import type { DatabaseHandle } from '../../src/db/database.ts'
import { buildApp } from '../../src/app.ts'
import type { Upstreams } from '../../src/upstreams/index.ts'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)

t.test('GET /health/live', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'ok', uptimeSeconds: Number })
})

t.test('GET /health/ready: database up, circuits closed', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'ready', database: { status: 'up' }, upstreams: { oss: 'closed', djp: 'closed', inatrade: 'closed' } })
})

t.test('an open circuit makes the gateway degraded, not unready', async (t) => {
  const upstreams = {
    ...context.upstreams,
    breakerStates: () => ({ oss: 'open', djp: 'closed', inatrade: 'half-open' }),
    close: async () => {},
  } as Upstreams
  const degraded = await buildApp({ config: testConfig(), database: context.database.handle, upstreams })
  t.teardown(() => degraded.close())
  const response = await degraded.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'degraded', upstreams: { oss: 'open', inatrade: 'half-open' } })
})

t.test('an unreachable database answers 503', async (t) => {
  const handle = context.database.handle
  // The same migrated database, but once the app is up every query fails as if the server went away.
  let serverGone = false
  const broken: DatabaseHandle = {
    ...handle,
    db: handle.db.withPlugin({
      transformQuery: (args) => {
        if (serverGone) throw new Error('connection terminated')
        return args.node
      },
      transformResult: async (args) => args.result,
    }),
  }
  const unready = await buildApp({ config: testConfig(), database: broken, upstreams: context.upstreams })
  t.teardown(() => unready.close())
  await unready.ready()
  serverGone = true
  const response = await unready.inject({ method: 'GET', url: '/health/ready' })
  t.equal(response.statusCode, 503)
  t.match(response.json(), { status: 'unavailable', database: { status: 'down' } })
  const live = await unready.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200, 'liveness does not depend on the database')
})
