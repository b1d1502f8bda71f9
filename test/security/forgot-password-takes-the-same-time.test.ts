/**
 * Issue 8, item 9 (last clause): forgot-password takes the same time whether or not the pair
 * matches. Checked by the work, not by a clock: before the answer, a matching pair, a wrong email
 * and an unknown username run exactly the same database calls; the mail of a match is written
 * only afterwards (the `queued` step).
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely'
import t from 'tap'
import { requestPasswordReset } from '../../src/modules/identity/accounts/service.ts'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()
const db = context.database.handle.db
const org = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })).json()
const { username, email } = org.superAdmin as { username: string; email: string }

/** Records each query's shape (tables, columns, operators), with every bound value blanked. */
const calls: string[] = []
const recorder: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs) {
    calls.push(JSON.stringify(args.node, (key, value) => (key === 'value' ? '?' : value)))
    return args.node
  },
  async transformResult(args: PluginTransformResultArgs) {
    return args.result
  },
}
const recorded = db.withPlugin(recorder)

async function request(input: { username: string; email: string }) {
  calls.length = 0
  const { queued } = await requestPasswordReset(recorded, { ...input, resetUrl: (token) => `http://gateway.test/account/reset-password?token=${token}` })
  const beforeAnswer = [...calls]
  await queued
  return { beforeAnswer, afterAnswer: calls.slice(beforeAnswer.length) }
}

const resetMails = async () => (await db.selectFrom('mail_outbox').select('id').where('template', '=', 'password-reset').execute()).length

t.test('a match, a wrong email and an unknown username do the same work before the answer', async (t) => {
  const wrongEmail = await request({ username, email: 'someone@else.example' })
  t.equal(await resetMails(), 0)
  const unknown = await request({ username: 'nobody.here', email })
  t.equal(await resetMails(), 0)
  const match = await request({ username, email })
  t.equal(await resetMails(), 1, 'the match did queue its mail, after the answer')

  t.ok(match.beforeAnswer.length > 0, 'the lookup is recorded')
  t.same(match.beforeAnswer, wrongEmail.beforeAnswer, 'match and wrong email: the same calls')
  t.same(match.beforeAnswer, unknown.beforeAnswer, 'match and unknown username: the same calls')
  t.ok(match.afterAnswer.some((call) => call.includes('"one_time_tokens"')), 'the token is written after the answer')
  t.ok(match.afterAnswer.some((call) => call.includes('"mail_outbox"')), 'and so is the mail')
  t.same(wrongEmail.afterAnswer, [], 'a mismatch writes nothing at all')
})

t.test('the page answers alike', async (t) => {
  const ask = (form: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/account/forgot-password', headers: { origin: 'http://gateway.test', 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() })
  const miss = await ask({ username, email: 'someone@else.example' })
  const hit = await ask({ username, email })
  t.equal(miss.statusCode, 200)
  t.equal(hit.statusCode, 200)
  t.equal(hit.body, miss.body, 'the same page')
})
