/**
 * Issue 8 item 13: every error is problem+json with X-Request-Id, including the ones Fastify
 * answers before any route or hook runs (a URL that is not valid percent-encoding, a path
 * parameter over maxParamLength) and the HTTP parser's own (a header block over the limit).
 */
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)

function assertProblem(t: Test, response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string): void {
  t.equal(response.statusCode, status, `${code}: status`)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${code}: problem+json`)
  const body = JSON.parse(response.body)
  t.match(body, { status, code, type: /^https:\/\//, title: String, instance: String })
  t.ok(response.headers['x-request-id'], `${code}: X-Request-Id header`)
  t.equal(body.requestId, response.headers['x-request-id'], `${code}: the same id in the body`)
  t.equal(response.headers['x-content-type-options'], 'nosniff', `${code}: security headers too`)
}

t.test('a URL that is not valid percent-encoding', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/orgs/%E0%A4%A/groups' })
  assertProblem(t, response, 400, 'BAD_REQUEST')
})

t.test('a path parameter longer than maxParamLength', async (t) => {
  const response = await app.inject({ method: 'GET', url: `/v1/orgs/${'a'.repeat(500)}/groups` })
  assertProblem(t, response, 414, 'URI_TOO_LONG')
})

t.test('unknown routes and methods', async (t) => {
  assertProblem(t, await app.inject({ method: 'GET', url: '/nothing' }), 404, 'ROUTE_NOT_FOUND')
  assertProblem(t, await app.inject({ method: 'DELETE', url: '/health/live' }), 404, 'ROUTE_NOT_FOUND')
})

/** One raw HTTP/1.1 exchange over a real socket: the parser's errors never reach inject. */
function rawExchange(request: string): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let data = ''
    socket.on('data', (chunk) => (data += chunk.toString()))
    socket.on('error', (error) => (data ? undefined : reject(error)))
    socket.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      resolve({ statusCode: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
    socket.write(request)
  })
}

t.test('a header block over the server limit: 431 problem', async (t) => {
  const response = await rawExchange(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`)
  assertProblem(t, response, 431, 'HEADERS_TOO_LARGE')
})

t.test('bytes that are not HTTP: 400 problem', async (t) => {
  const response = await rawExchange('NOT HTTP AT ALL\r\n\r\n')
  assertProblem(t, response, 400, 'BAD_REQUEST')
})
