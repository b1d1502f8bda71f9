import { buildTestApp, setupTestContext } from './helpers/app.ts'
const t = { teardown() {} }
const ctx = await setupTestContext(t)
const app = await buildTestApp(t, ctx)
await app.ready()
const unknown: Record<string, number> = { nib: 1 as never }
for (let i = 0; i < 60000; i++) unknown[`f${i}`] = 1
const text = JSON.stringify(unknown)
const depth = 400000
const deep = `{"nib":"x","nested":${'['.repeat(depth)}1${']'.repeat(depth)}}`
for (const [label, payload] of [['unknown', text], ['deep', deep]] as const) {
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    const r = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', headers: { 'content-type': 'application/json' }, payload })
    console.log(label, r.statusCode, Math.round(performance.now() - t0), 'ms', r.body.slice(0, 150))
  }
}
const t0 = performance.now(); JSON.parse(text); console.log('parse unknown', performance.now() - t0)
const t1 = performance.now(); JSON.parse(deep); console.log('parse deep', performance.now() - t1)
await app.close(); await ctx.close()
