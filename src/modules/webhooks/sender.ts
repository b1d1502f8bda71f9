/**
 * One HTTP attempt of a webhook message. Signed with the `standardwebhooks` package (never by
 * hand): `webhook-id` is the delivery's id (the same on every retry, so a receiver drops
 * repeats), `webhook-timestamp` the attempt's time, `webhook-signature` one `v1,` signature per
 * secret that signs now (two during a rotation's overlap, space separated as the spec allows).
 * Connections go through one undici Agent whose lookup only hands out vetted addresses
 * (address-guard.ts); redirects are never followed (a 3xx is a failure, or a receiver could
 * bounce the request to an internal address); the answer is read up to a cap and only its start
 * is kept for the delivery log.
 */
import { Webhook } from 'standardwebhooks'
import { Agent, request } from 'undici'
import { checkLiteralHost, guardedLookup, RefusedAddressError, type AddressPolicy } from './address-guard.ts'

/** Bytes of an answer read at most; the rest is not waited for. */
export const RESPONSE_CAP_BYTES = 64 * 1024
/** Characters of the answer kept in the delivery log. */
export const EXCERPT_CHARS = 500
const ERROR_CHARS = 300

export interface AttemptResult {
  outcome: 'delivered' | 'failed'
  statusCode: number | null
  latencyMs: number
  error: string | null
  responseExcerpt: string | null
}

export interface WebhookMessage {
  /** The delivery's id: the `webhook-id` header. */
  id: string
  /** The payload exactly as sent and signed. */
  body: string
  /** Secrets that sign (`whsec_…`): the current one first. */
  secrets: string[]
}

export interface WebhookSender {
  /** Signed at the wall clock's time: receivers refuse timestamps far from their own now. */
  send(url: string, message: WebhookMessage): Promise<AttemptResult>
  close(): Promise<void>
}

export interface SenderOptions {
  timeoutMs: number
  policy: AddressPolicy
  responseCapBytes?: number
}

/** The three Standard Webhooks headers of one attempt. */
export function signatureHeaders(message: WebhookMessage, at: Date): Record<string, string> {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': message.secrets.map((secret) => new Webhook(secret).sign(message.id, at, message.body)).join(' '),
  }
}

function describe(error: unknown, timeoutMs: number): string {
  let current: unknown = error
  // undici wraps some connect errors; the refusal is what the log must say.
  for (let depth = 0; current instanceof Error && depth < 4; depth += 1) {
    if (current instanceof RefusedAddressError) return current.message
    current = current.cause
  }
  const failure = error as { name?: string; code?: string; message?: string }
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError' || failure.code === 'UND_ERR_HEADERS_TIMEOUT' || failure.code === 'UND_ERR_BODY_TIMEOUT') {
    return `no answer within ${timeoutMs} ms`
  }
  return `${failure.code ? `${failure.code}: ` : ''}${failure.message ?? String(error)}`.slice(0, ERROR_CHARS)
}

export function createSender(options: SenderOptions): WebhookSender {
  const cap = options.responseCapBytes ?? RESPONSE_CAP_BYTES
  const agent = new Agent({
    connect: { lookup: guardedLookup(options.policy), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 4_000,
  })

  async function send(url: string, message: WebhookMessage): Promise<AttemptResult> {
    const started = performance.now()
    const latency = () => Math.round(performance.now() - started)
    const target = new URL(url)
    // A literal address is never looked up, so the lookup's check would not see it.
    const refused = checkLiteralHost(target.hostname, options.policy)
    if (refused) return { outcome: 'failed', statusCode: null, latencyMs: 0, error: refused.message, responseExcerpt: null }
    try {
      const response = await request(target, {
        method: 'POST',
        dispatcher: agent,
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: { 'content-type': 'application/json', 'user-agent': 'INSW-Gateway-Webhooks/1', ...signatureHeaders(message, new Date()) },
        body: message.body,
      })
      const chunks: Buffer[] = []
      let received = 0
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const room = cap - received
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk)
        received += Math.min(chunk.length, room)
        // Leaving the loop destroys the body: an endless answer costs at most the cap.
        if (received >= cap) break
      }
      const excerpt = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS) || null
      const { statusCode } = response
      if (statusCode >= 200 && statusCode < 300) return { outcome: 'delivered', statusCode, latencyMs: latency(), error: null, responseExcerpt: excerpt }
      const error = statusCode >= 300 && statusCode < 400 ? `redirect ${statusCode} not followed: answer 2xx at the registered URL` : `answered ${statusCode}`
      return { outcome: 'failed', statusCode, latencyMs: latency(), error, responseExcerpt: excerpt }
    } catch (error) {
      return { outcome: 'failed', statusCode: null, latencyMs: latency(), error: describe(error, options.timeoutMs), responseExcerpt: null }
    }
  }

  return { send, close: () => agent.close() }
}
