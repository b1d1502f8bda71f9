/**
 * The operator console's tests (form posts and the browser): a gateway listening at its public URL
 * whose mail fails at once with no retries (so an approval's activation mail becomes a dead letter
 * to retry), a token minter for it, and a platform operator with a password to sign in with.
 */
import type { Mailer } from '../../src/mail/mailer.ts'
import { setupTestContext, testConfig } from './app.ts'
import { freePort } from './live-gateway.ts'
import { buildMailApp, switchableMailer } from './mail.ts'
import { tokenMinter } from './tokens.ts'

export async function startConsoleGateway(t: Parameters<typeof setupTestContext>[0]) {
  const context = await setupTestContext(t)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const failing: Mailer = { delivery: 'sent', async send() { throw new Error('550 mailbox unavailable') }, async close() {} }
  const env = { PUBLIC_URL: url, PORT: String(port), RATE_LIMIT_SCALE: '1000' }
  const app = await buildMailApp(t, context, { mailer: switchableMailer(failing), mailPolicy: { retryLimit: 0 }, env })
  await app.listen({ port, host: '127.0.0.1' })
  const operator = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: { fullName: 'Siti Operator' } })).json() as { username: string; password: string }
  return { app, url, db: context.database.handle.db, minter: tokenMinter(app, testConfig(env)), operator }
}
