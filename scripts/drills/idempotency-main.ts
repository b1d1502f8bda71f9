/**
 * `npm run drill:idempotency`: the full idempotency drill (1,000 keys × 10 replays, 50 keys with
 * every replay at once) against a gateway process of its own, as `npm start` runs it, on
 * `DATABASE_URL` (and `REDIS_URL`) when set, else on a fresh embedded database. Knobs:
 * DRILL_KEYS, DRILL_REPLAYS, DRILL_CONCURRENT. Prints its closing line `N passed, N failed`;
 * exits 1 when anything failed.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startServer } from '../bench/servers.ts'
import { testOrganisation } from '../../test/helpers/live-gateway.ts'
import { runIdempotencyDrill } from './idempotency.ts'

const number = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback) || fallback)
const env: Record<string, string> = {
  SANDBOX: 'true',
  PUBLIC_URL: 'http://gateway-drill.local',
  LOG_LEVEL: 'warn',
  PORT: '0',
  HOST: '127.0.0.1',
  // Budgets still counted, never refusing: the drill is about keys, not limits.
  RATE_LIMIT_SCALE: '100000',
  ...(process.env.DATABASE_URL ? {} : { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'drill-idempotency-')) }),
}
const gateway = await startServer('gateway (drill)', 'gateway-server.ts', env)
try {
  const { token } = await testOrganisation(gateway.url, '8120000000001', 'permits:read permits:write')
  const outcome = await runIdempotencyDrill({
    origin: gateway.url,
    token,
    keys: number('DRILL_KEYS', 1000),
    replays: number('DRILL_REPLAYS', 10),
    concurrent: number('DRILL_CONCURRENT', 50),
  })
  for (const failure of outcome.failures.slice(0, 20)) console.error(`  ${failure}`)
  console.log(`idempotency drill: ${Object.entries(outcome.figures).map(([name, value]) => `${name} ${value}`).join(', ')}`)
  console.log(`${outcome.passed} passed, ${outcome.failed} failed`)
  process.exitCode = outcome.failed === 0 ? 0 : 1
} finally {
  await gateway.stop()
}
