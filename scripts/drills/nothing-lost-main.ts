/**
 * `npm run drill:nothing-lost`: the full *nothing lost* drill (nothing-lost.ts says what holds):
 * 10,000 submissions, three SIGKILLs, one database outage (server database only: set
 * DRILL_POSTGRES_RESTART to restart PostgreSQL itself), INATRADE failing 30 % of attempts, stalling
 * 10 s for a stretch and down for 30 s. On DATABASE_URL (and REDIS_URL) when set, else on an
 * embedded database. Knobs: DRILL_SUBMISSIONS, DRILL_KILLS, DRILL_CONCURRENCY, DRILL_FAILURE_RATE,
 * DRILL_STALL_MS, DRILL_DOWN_MS. Prints its figures and the closing line `N passed, N failed`;
 * exits 1 when anything failed.
 */
import { databaseOutage } from './database-outage.ts'
import { runNothingLostDrill } from './nothing-lost.ts'

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  return Number.isFinite(value) && value >= 0 ? value : fallback
}
const cleanups: (() => unknown)[] = []
try {
  const outcome = await runNothingLostDrill({
    submissions: Math.max(1, number('DRILL_SUBMISSIONS', 10_000)),
    kills: number('DRILL_KILLS', 3),
    concurrency: Math.max(1, number('DRILL_CONCURRENCY', 16)),
    databaseOutage: process.env.DATABASE_URL ? databaseOutage : undefined,
    inatrade: { failureRate: number('DRILL_FAILURE_RATE', 0.3), stallMs: number('DRILL_STALL_MS', 10_000), downForMs: number('DRILL_DOWN_MS', 30_000) },
    settleMs: 600_000,
    teardown: { teardown: (fn) => cleanups.push(fn) },
    log: (line) => console.log(`  ${line}`),
  })
  for (const failure of outcome.failures.slice(0, 20)) console.error(`  ${failure}`)
  console.log(`nothing-lost drill: ${Object.entries(outcome.figures).map(([name, value]) => `${name} ${value}`).join(', ')}`)
  console.log(`${outcome.passed} passed, ${outcome.failed} failed`)
  process.exitCode = outcome.failed === 0 ? 0 : 1
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup()
}
