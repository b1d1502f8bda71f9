/**
 * Verifying the gateway's webhooks (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) with the `standardwebhooks` package, over the raw body exactly as received.
 * During a secret rotation the gateway signs with both secrets: pass both, either may match.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import type { webhooks } from './schema.ts'

/** Every event the gateway sends, by type, as the contract's `webhooks` section declares it. */
export type WebhookEvent = {
  [Name in keyof webhooks]: webhooks[Name] extends { post: { requestBody?: { content: { 'application/json': infer Body } } } } ? Body : never
}[keyof webhooks]

export { WebhookVerificationError }

/**
 * The verified event, or a WebhookVerificationError (a bad or missing signature, or a timestamp
 * more than five minutes away: a replay).
 */
export function verifyWebhook(rawBody: string | Buffer, headers: Record<string, string | string[] | undefined>, secrets: string | string[]): WebhookEvent {
  const flat: Record<string, string> = {}
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = headers[name] ?? headers[name.toLowerCase()]
    if (typeof value === 'string') flat[name] = value
    else if (Array.isArray(value) && value[0] !== undefined) flat[name] = value[0]
  }
  const payload = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8')
  let lastError: unknown
  for (const secret of Array.isArray(secrets) ? secrets : [secrets]) {
    try {
      return new Webhook(secret).verify(payload, flat) as WebhookEvent
    } catch (error) {
      lastError = error
    }
  }
  throw lastError instanceof Error ? lastError : new WebhookVerificationError('no secret given')
}
