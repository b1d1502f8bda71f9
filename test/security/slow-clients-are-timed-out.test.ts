/**
 * Issue 8, item 11: slow clients are timed out. 150 sockets send a request's headers and then
 * trickle its body a byte at a time (and a few trickle their headers): with REQUEST_TIMEOUT_MS
 * of 1 s each must be closed soon after that second (408), not held open for as long as the
 * client likes, and the gateway keeps answering everyone else meanwhile.
 */
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'

const TIMEOUT_MS = 1000
/** Time allowed beyond the timeout: Node's deadline check runs every 100 ms here; the machine may be busy. */
const GRACE_MS = 3000
const BODY_TRICKLERS = 150
const HEADER_TRICKLERS = 20
const TRICKLE_EVERY_MS = 100

const context = await setupTestContext(t)
const { url } = await startListeningApp(t, context, { env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), HEADERS_TIMEOUT_MS: String(TIMEOUT_MS) } })
const { hostname, port } = new URL(url)

interface Trickler {
  socket: Socket
  closedAfterMs?: number
  received: string
}

function trickle(kind: 'body' | 'headers', started: number): Trickler {
  const socket = connect({ host: hostname, port: Number(port) })
  const trickler: Trickler = { socket, received: '' }
  // A declared length under the 64 KiB body limit, or the gateway would refuse it (413) at once.
  const head = `POST /v1/sandbox/test-operators HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n`
  let sent = 0
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return
    // Body: the whole head at once, then a byte of JSON each tick. Headers: the head a byte each tick.
    socket.write(kind === 'body' ? ' ' : head[sent++ % head.length]!)
  }, TRICKLE_EVERY_MS)
  socket.on('connect', () => {
    if (kind === 'body') socket.write(`${head}\r\n{"fullName":"`)
  })
  socket.on('data', (chunk) => (trickler.received += chunk.toString()))
  socket.on('error', () => {})
  socket.on('close', () => {
    clearInterval(timer)
    trickler.closedAfterMs = performance.now() - started
  })
  return trickler
}

t.test(`${BODY_TRICKLERS} sockets trickling a body (and ${HEADER_TRICKLERS} trickling headers) are closed within the timeout`, async (t) => {
  const started = performance.now()
  const tricklers = [
    ...Array.from({ length: BODY_TRICKLERS }, () => trickle('body', started)),
    ...Array.from({ length: HEADER_TRICKLERS }, () => trickle('headers', started)),
  ]
  t.teardown(() => tricklers.forEach((trickler) => trickler.socket.destroy()))

  // Meanwhile the gateway answers others.
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 2))
  const probe = await fetch(`${url}/health/live`)
  t.equal(probe.status, 200, 'a health probe during the attack is answered')

  const deadline = started + TIMEOUT_MS + GRACE_MS
  while (tricklers.some((trickler) => trickler.closedAfterMs === undefined) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const open = tricklers.filter((trickler) => trickler.closedAfterMs === undefined)
  t.equal(open.length, 0, `every slow socket closed within ${TIMEOUT_MS + GRACE_MS} ms (${open.length} still open)`)
  const earliest = tricklers.reduce((a, b) => ((a.closedAfterMs ?? Infinity) <= (b.closedAfterMs ?? Infinity) ? a : b))
  const first = earliest.closedAfterMs ?? Infinity
  t.ok(first >= TIMEOUT_MS * 0.9, `none closed before the timeout was up (the first, a ${tricklers.indexOf(earliest) < BODY_TRICKLERS ? 'body' : 'header'} trickler, after ${Math.round(first)} ms, having received ${JSON.stringify(earliest.received.slice(0, 80))})`)
  const bodyTimedOut = tricklers.slice(0, BODY_TRICKLERS).filter((trickler) => trickler.received.startsWith('HTTP/1.1 408'))
  t.equal(bodyTimedOut.length, BODY_TRICKLERS, 'the body tricklers were told 408 Request Timeout')

  const after = await fetch(`${url}/health/live`)
  t.equal(after.status, 200, 'the gateway still answers afterwards')
})

t.test('an idle keep-alive connection is not cut off by the request deadlines: only slow requests are', async (t) => {
  const socket = connect({ host: hostname, port: Number(port) })
  t.teardown(() => socket.destroy())
  let received = ''
  socket.on('data', (chunk) => (received += chunk.toString()))
  const request = `GET /health/live HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()))
  socket.write(request)
  // Idle between requests for longer than the request and header timeouts.
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 1.8))
  t.notOk(socket.destroyed, 'still open after idling past the request timeout')
  socket.write(request)
  const deadline = performance.now() + 3000
  while ((received.match(/HTTP\/1\.1 200/g) ?? []).length < 2 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal((received.match(/HTTP\/1\.1 200/g) ?? []).length, 2, 'both requests on the one connection answered 200')
})
