import { buildTestApp, captureLogs, setupTestContext } from './helpers/app.ts'
const t = { teardown() {} }
const ctx = await setupTestContext(t)
const logs = captureLogs()
const app = await buildTestApp(t, ctx, { logs })
await app.ready()
const r = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
console.log(r.statusCode)
for (const l of logs.lines()) if ((l.level as number) >= 50) console.log(JSON.stringify(l).slice(0, 1500))
await app.close(); await ctx.close()
