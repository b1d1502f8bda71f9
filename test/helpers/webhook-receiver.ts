/**
 * A webhook receiver on 127.0.0.1, port 0, for tests: records every request (headers, raw body)
 * and answers what the test's `respond` says (200 by default). `verify` checks a request with the
 * `standardwebhooks` package, as an integrator would.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { Webhook } from 'standardwebhooks'

export interface ReceivedRequest {
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Receiver {
  url: string
  requests: ReceivedRequest[]
  /** Answers a request; default 200 `ok`. */
  respond: (request: ReceivedRequest, response: ServerResponse) => void
  close(): Promise<void>
}

export async function startReceiver(t: { teardown(fn: () => unknown): void }): Promise<Receiver> {
  const receiver = {
    url: '',
    requests: [] as ReceivedRequest[],
    respond: ((_request: ReceivedRequest, response: ServerResponse) => response.end('ok')) as Receiver['respond'],
    close: async () => {},
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request = { url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      receiver.requests.push(request)
      receiver.respond(request, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  t.teardown(() => receiver.close())
  return receiver
}

/** The message, verified with `secret` by the standardwebhooks package; throws when the signature does not match. */
export function verify(request: ReceivedRequest, secret: string): unknown {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>)
}

export function verifies(request: ReceivedRequest, secret: string): boolean {
  try {
    verify(request, secret)
    return true
  } catch {
    return false
  }
}
