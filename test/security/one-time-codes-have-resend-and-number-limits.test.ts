/**
 * Issue 8, item 14 (one-time codes): a user cannot have codes sent faster than the resend interval
 * nor more than the hourly limit, and one mobile number receives at most its daily budget whoever
 * asks. Over a limit: 429 problem+json with Retry-After, and no SMS goes out.
 */
import { sql } from 'kysely'
import t from 'tap'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'
import { createOrg, userToken } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context, { env: { OTP_MAX_PER_NUMBER_PER_DAY: '3' } })
await app.ready()
const minter = tokenMinter(app)
const db = context.database.handle.db

async function signedInUser(nib: string) {
  const org = await createOrg(app, nib)
  return { userId: org.superAdmin.userId, token: userToken(minter, org.superAdmin.userId, org.orgId) }
}

const askForCode = (token: string, mobile: string) =>
  app.inject({ method: 'PUT', url: '/v1/account/completion', headers: { authorization: `Bearer ${token}` }, payload: { notificationChannels: ['sms'], mobile } })

const smsCount = async (mobile: string) =>
  Number((await db.selectFrom('sms_outbox').select((eb) => eb.fn.countAll<string>().as('n')).where('recipient', '=', mobile).executeTakeFirstOrThrow()).n)

/** Moves the user's earlier codes back in time, as if the clock had advanced. */
const timePasses = (userId: string, ms: number) =>
  db
    .updateTable('mobile_verifications')
    .set({ created_at: sql<Date>`created_at - make_interval(secs => ${ms / 1000})` })
    .where('user_id', '=', userId)
    .execute()

t.test('the limits are configurable, with defaults', async (t) => {
  t.same(testConfig().oneTimeCodes, { resendIntervalSeconds: 60, perUserPerHour: 5, perNumberPerDay: 10 })
  t.same(testConfig({ OTP_RESEND_INTERVAL_SECONDS: '30', OTP_MAX_PER_USER_PER_HOUR: '3', OTP_MAX_PER_NUMBER_PER_DAY: '4' }).oneTimeCodes, {
    resendIntervalSeconds: 30,
    perUserPerHour: 3,
    perNumberPerDay: 4,
  })
  t.throws(() => testConfig({ OTP_MAX_PER_USER_PER_HOUR: '0' }), /OTP_MAX_PER_USER_PER_HOUR/)
})

t.test('per user: one code a minute, five an hour', async (t) => {
  const user = await signedInUser('8120000000001')
  const mobile = '+6281200000001'
  t.equal((await askForCode(user.token, mobile)).statusCode, 202)
  const tooSoon = await askForCode(user.token, mobile)
  t.equal(tooSoon.statusCode, 429, 'a second code within the minute is refused')
  t.match(tooSoon.headers['content-type'], /^application\/problem\+json/)
  t.match(tooSoon.json(), { code: 'RATE_LIMITED', status: 429 })
  const wait = Number(tooSoon.headers['retry-after'])
  t.ok(wait >= 1 && wait <= 60, `Retry-After within the minute (${wait})`)
  t.equal(await smsCount(mobile), 1, 'no SMS for the refused request')

  // Another number each time (the per-number budget here is 3): changing the number does not reset the user's limit.
  for (let sent = 2; sent <= 5; sent++) {
    await timePasses(user.userId, 61_000)
    t.equal((await askForCode(user.token, `+62812000001${sent}`)).statusCode, 202, `code ${sent} a minute later`)
  }
  await timePasses(user.userId, 61_000)
  const sixth = await askForCode(user.token, '+6281200000016')
  t.equal(sixth.statusCode, 429, 'the sixth code within the hour is refused')
  const retryAfter = Number(sixth.headers['retry-after'])
  t.ok(retryAfter > 60 && retryAfter <= 3600, `Retry-After until the oldest code leaves the hour (${retryAfter})`)
  t.equal(await smsCount('+6281200000016'), 0)
})

t.test('per number: a daily budget, whoever asks', async (t) => {
  const mobile = '+6281200000002'
  const users = [await signedInUser('8120000000007'), await signedInUser('8120000000010'), await signedInUser('8120000000011'), await signedInUser('8120000000013')]
  for (const user of users.slice(0, 3)) t.equal((await askForCode(user.token, mobile)).statusCode, 202)
  const fourth = await askForCode(users[3]!.token, mobile)
  t.equal(fourth.statusCode, 429, 'a fourth account cannot have a fourth code sent to the same number today')
  t.match(fourth.json(), { code: 'RATE_LIMITED' })
  t.ok(Number(fourth.headers['retry-after']) > 3600, `Retry-After until the oldest code leaves the day (${fourth.headers['retry-after']})`)
  t.equal(await smsCount(mobile), 3)
  t.equal((await askForCode(users[3]!.token, '+6281200000003')).statusCode, 202, 'another number is not affected')
})
