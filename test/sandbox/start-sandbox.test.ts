import { createServer } from 'node:net'
import t from 'tap'
import pino from 'pino'
import { request } from 'undici'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { NIB } from './helpers.ts'

t.test('startSandbox serves the three stubs on loopback and closes them', async (t) => {
  const sandbox = await startSandbox({ timeScale: 0.01 })
  let closed = false
  t.teardown(() => (closed ? undefined : sandbox.close()))
  for (const url of [sandbox.ossUrl, sandbox.djpUrl, sandbox.inatradeUrl]) t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(new Set([sandbox.ossUrl, sandbox.djpUrl, sandbox.inatradeUrl]).size, 3)

  const oss = await request(`${sandbox.ossUrl}/oss/v1/businesses/${NIB.approved}`)
  t.equal(oss.statusCode, 200)
  t.equal(((await oss.body.json()) as { nib: string }).nib, NIB.approved)
  const djp = await request(`${sandbox.djpUrl}/kswp/v1/taxpayers/010000000001000`)
  t.equal(djp.statusCode, 200)
  await djp.body.dump()

  // One store behind all three: an identity PUT through INATRADE's control API reaches OSS.
  const identity = await (await request(`${sandbox.ossUrl}/__sandbox/identities/${NIB.approved}`)).body.json() as Record<string, unknown>
  const put = await request(`${sandbox.inatradeUrl}/__sandbox/identities/${NIB.approved}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...identity, oss: { found: false } }),
  })
  t.equal(put.statusCode, 200)
  await put.body.dump()
  const gone = await request(`${sandbox.ossUrl}/oss/v1/businesses/${NIB.approved}`)
  t.equal(gone.statusCode, 404)
  await gone.body.dump()

  await sandbox.close()
  closed = true
  await t.rejects(request(`${sandbox.ossUrl}/oss/v1/businesses/${NIB.approved}`), { code: 'ECONNREFUSED' })
})

t.test('startSandbox fails cleanly when a port is taken', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const { port } = blocker.address() as { port: number }
  await t.rejects(startSandbox({ ports: { inatrade: port } }), { code: 'EADDRINUSE' })
})

t.test('startSandbox refuses an invalid fixtures file', async (t) => {
  const dir = t.testdir({ 'bad.json': JSON.stringify([{ nib: '1', label: 'bad' }]) })
  await t.rejects(startSandbox({ fixturesPath: `${dir}/bad.json` }), { name: 'SandboxFixtureError', message: /entry #0 \(nib 1, "bad"\)/ })
})

t.test('startSandbox logs through a logger instance handed over by the gateway', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) })
  const sandbox = await startSandbox({ logger })
  t.teardown(() => sandbox.close())
  const response = await request(`${sandbox.djpUrl}/kswp/v1/taxpayers/010000000001000`)
  await response.body.dump()
  t.ok(lines.some((line) => line.sandbox === 'djp' && line.msg === 'request completed'), 'request logs carry the stub name')
})
