/**
 * The gateway under test, in a process of its own: what `npm start` runs (src/server.ts: config
 * from the environment, sandbox upstreams, the access log at the configured level), plus IPC for
 * the bench (memory after GC, seeding an organisation's users). Listens on an ephemeral port.
 */
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/logger.ts'
import { sandboxFederation } from '../../src/sandbox/federation.ts'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { answerParent, memoryFigures, send } from './child-ipc.ts'

/** The sandbox identity the benches submit for: an approved importer (fixtures/sandbox-identities.json). */
const BENCH_NIB = '8120000000001'
const config = loadConfig()
const logger = createLogger(config.logLevel)
// Upstream URLs given (the permits part runs the stubs in a process of their own): use those;
// otherwise the stubs run in this process, as `npm start` runs them.
const external = config.upstreams.inatradeUrl !== undefined
const sandbox = external ? undefined : await startSandbox({ callbackSecret: config.inatradeCallbackSecret, logger: false })
const inatradeUrl = sandbox?.inatradeUrl ?? config.upstreams.inatradeUrl!
if (process.env.BENCH_INATRADE_DECIDES_AFTER_MS) await delayInatradeDecisions(Number(process.env.BENCH_INATRADE_DECIDES_AFTER_MS))

/**
 * The permits bench measures forwarding alone: INATRADE's review (and its callbacks to the
 * gateway) waits this long for the bench's organisation, so it does not land inside a measurement.
 */
async function delayInatradeDecisions(ms: number): Promise<void> {
  const url = `${inatradeUrl}/__sandbox/identities/${BENCH_NIB}`
  const identity = (await (await fetch(url)).json()) as { inatrade?: Record<string, unknown> }
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...identity, inatrade: { ...identity.inatrade, stepDelaysMs: [ms, ms] } }),
  })
  if (!response.ok) throw new Error(`the sandbox refused the bench identity: ${response.status} ${await response.text()}`)
}
const app = await buildApp({
  config,
  logger,
  ...(sandbox
    ? { upstreamUrls: { ossUrl: sandbox.ossUrl, djpUrl: sandbox.djpUrl, inatradeUrl: sandbox.inatradeUrl }, federation: { ...sandboxFederation(sandbox), ...config.federation } }
    : { upstreamUrls: { ossUrl: config.upstreams.ossUrl!, djpUrl: config.upstreams.djpUrl!, inatradeUrl } }),
})
// PORT: the benches give 0 (an ephemeral port they learn over IPC) or a port they chose (one that
// INATRADE's callbacks must reach, through PUBLIC_URL); run by hand (profiling), 3000.
await app.listen({ port: config.port, host: '127.0.0.1' })
if (!process.send) console.error(`gateway listening on port ${config.port}; Ctrl-C writes any --cpu-prof profile`)

/** Users with every optional column filled, so a list page serialises what a real one does. */
async function seedUsers(organisationId: string, count: number): Promise<number> {
  const stamp = Date.now().toString(36)
  await app.db
    .insertInto('users')
    .values(
      Array.from({ length: count }, (_, i) => ({
        organisation_id: organisationId,
        username: `bench.${stamp}.${i}`,
        email: `bench.${stamp}.${i}@bench.example`,
        full_name: `Pengguna Bench ${i}`,
        level: 'non_admin' as const,
        status: 'active' as const,
        nik: `3171${String(i).padStart(12, '0')}`,
        position: 'Staf Ekspor Impor',
        employee_number: `EMP-${i}`,
        phone: '0215550000',
        mobile: '081234567890',
        address: 'Jl. Medan Merdeka Barat No. 1, Jakarta',
        postal_code: '10110',
      })),
    )
    .execute()
  return count
}

answerParent(seedUsers)
send({ type: 'ready', port: (app.server.address() as { port: number }).port, memory: memoryFigures(false), inatradeUrl })

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void app.close().then(() => sandbox?.close()).finally(() => process.exit(0))
  })
}
