/**
 * The *nothing lost* drill, bounded for CI (issue 13 item 2): 1,000 submissions while the gateway
 * is SIGKILLed once (and, on a server database, cut off its database once), INATRADE failing 30 %
 * of attempts at random, stalling for a stretch and down for another. `npm run drill:nothing-lost`
 * runs 10,000 with three kills (scripts/drills/nothing-lost.ts says what holds).
 */
import t from 'tap'
import { databaseOutage } from '../../scripts/drills/database-outage.ts'
import { runNothingLostDrill } from '../../scripts/drills/nothing-lost.ts'

const SUBMISSIONS = Math.max(1000, Number(process.env.NOTHING_LOST_SUBMISSIONS ?? 1000) || 1000)
// Minutes, not the suite's 3: the breaker and the back-offs run on real time after the faults.
t.setTimeout(900_000)

t.test(`${SUBMISSIONS} submissions through a kill, ${process.env.DATABASE_URL ? 'a database outage, ' : ''}and a failing INATRADE: every accepted one filed once, told in full`, async (t) => {
  const outcome = await runNothingLostDrill({
    submissions: SUBMISSIONS,
    kills: 1,
    concurrency: 8,
    databaseOutage: process.env.DATABASE_URL ? databaseOutage : undefined,
    inatrade: { failureRate: 0.3, stallMs: 2000, downForMs: 3000 },
    settleMs: 300_000,
    teardown: t,
    log: (line) => t.comment(line),
  })
  t.comment(`${outcome.passed} passed, ${outcome.failed} failed (${JSON.stringify(outcome.figures)})`)
  t.same(outcome.failures.slice(0, 10), [], 'no submission broke a rule')
  t.equal(outcome.passed, SUBMISSIONS, 'every accepted submission held')
  t.equal(outcome.figures.kills, 1, 'the gateway was killed mid-load')
})
