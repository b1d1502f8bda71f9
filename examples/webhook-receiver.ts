/**
 * A webhook receiver for the gateway's Standard Webhooks, as an in-house system would write one:
 * verify the signature with the `standardwebhooks` package over the raw body, drop repeats by
 * `webhook-id` (delivery is at least once: the same message may arrive twice), act, answer 2xx
 * fast. Per permit, `data.sequence` orders the steps.
 *
 *   WEBHOOK_SECRET=whsec_… PORT=4000 node examples/webhook-receiver.ts
 *
 * Prints one line per verified message; `GET /received` answers what arrived (for scripts).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'

/** A body larger than this is refused unread: the gateway's messages are a few hundred bytes. */
const MAX_BODY_BYTES = 256 * 1024
/** Delivery ids remembered for dropping repeats (a real system keeps them in its database). */
const REMEMBERED_IDS = 100_000

export interface ReceivedMessage {
  id: string
  type: string
  timestamp: string
  data: Record<string, unknown>
}

export interface ReceiverCounts {
  verified: number
  duplicates: number
  refused: number
}

export interface WebhookReceiver {
  server: Server
  counts: ReceiverCounts
  /** The last messages verified, newest last (at most 1,000). */
  recent: ReceivedMessage[]
}

export function createWebhookReceiver(options: { secret: string; onMessage?: (message: ReceivedMessage) => void }): WebhookReceiver {
  const webhook = new Webhook(options.secret)
  const seen = new Set<string>()
  const counts: ReceiverCounts = { verified: 0, duplicates: 0, refused: 0 }
  const recent: ReceivedMessage[] = []
  const server = createServer(async (request, response) => {
    if (request.method === 'GET' && request.url === '/received') {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ ...counts, recent }))
      return
    }
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST' }).end()
      return
    }
    const body = await readBody(request)
    if (body === undefined) {
      counts.refused += 1
      response.writeHead(413).end()
      return
    }
    let message: Omit<ReceivedMessage, 'id'>
    try {
      // Throws unless one of the signatures matches and the timestamp is within five minutes.
      message = webhook.verify(body, request.headers as Record<string, string>) as Omit<ReceivedMessage, 'id'>
    } catch (error) {
      counts.refused += 1
      response.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end()
      return
    }
    const id = String(request.headers['webhook-id'])
    if (seen.has(id)) {
      counts.duplicates += 1
      response.writeHead(204).end()
      return
    }
    if (seen.size >= REMEMBERED_IDS) seen.clear()
    seen.add(id)
    counts.verified += 1
    const received = { id, ...message }
    recent.push(received)
    if (recent.length > 1_000) recent.shift()
    options.onMessage?.(received)
    response.writeHead(204).end()
  })
  return { server, counts, recent }
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function describe(message: ReceivedMessage): string {
  const data = message.data
  if (message.type.startsWith('permit.')) {
    return `${message.timestamp} ${data.referenceNumber} #${data.sequence} ${data.previousStatus ?? '-'} → ${data.status}${data.reason ? ` (${data.reason})` : ''}`
  }
  return `${message.timestamp} ${message.type} ${JSON.stringify(data)}`
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const secret = process.env.WEBHOOK_SECRET
  if (!secret?.startsWith('whsec_')) {
    console.error('Set WEBHOOK_SECRET to the secret the gateway showed when the webhook was created (whsec_…).')
    process.exit(1)
  }
  const port = Number(process.env.PORT ?? 4000)
  const receiver = createWebhookReceiver({ secret, onMessage: (message) => console.log(describe(message)) })
  receiver.server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`webhook receiver listening on http://${process.env.HOST ?? '127.0.0.1'}:${port}`))
}
