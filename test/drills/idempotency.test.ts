/**
 * The idempotency drill, bounded for CI (issue 13 item 3): 100 keys × 10 replays, 20 of the keys
 * with all their replays at once, over a real socket. `npm run drill:idempotency` runs 1,000 × 10
 * with 50 concurrent (scripts/drills/idempotency.ts says what holds).
 */
import t from 'tap'
import { runIdempotencyDrill } from '../../scripts/drills/idempotency.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { testOrganisation } from '../helpers/live-gateway.ts'

const context = await setupTestContext(t)
const { url } = await startListeningApp(t, context, { env: { RATE_LIMIT_SCALE: '1000' } })
const { token } = await testOrganisation(url, '8120000000001', 'permits:read permits:write')

t.test('100 keys × 10 replays (20 keys all at once): one permit per key, the same bytes, another body refused', async (t) => {
  const outcome = await runIdempotencyDrill({ origin: url, token, keys: 100, replays: 10, concurrent: 20 })
  t.comment(`${outcome.passed} passed, ${outcome.failed} failed (${JSON.stringify(outcome.figures)})`)
  t.same(outcome.failures.slice(0, 10), [], 'no key broke a rule')
  t.equal(outcome.passed, 100, 'every key held')
})
