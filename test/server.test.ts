/**
 * The real entry point as a user runs it: `node src/server.ts` starts (sandbox upstreams,
 * embedded database), serves, and exits cleanly on SIGTERM; a bad setting stops it at once
 * with one line naming the variable.
 */
import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { freePort } from './helpers/live-gateway.ts'

const SERVER = new URL('../src/server.ts', import.meta.url).pathname

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => ({ stdout, stderr }) }
}

async function waitFor(predicate: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${describe()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('starts with sandbox upstreams, serves, and on SIGTERM turns unready first, then shuts down gracefully', async (t) => {
  const port = await freePort()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-server-'))
  const server = run({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '1500', ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}) })
  t.teardown(() => server.child.kill('SIGKILL'))
  await waitFor(() => server.output().stdout.includes('gateway ready'), 90_000, () => JSON.stringify(server.output()))
  t.match(server.output().stdout, /sandbox upstreams started/)

  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
  t.equal(ready.status, 200)
  const docs = await fetch(`http://127.0.0.1:${port}/docs/`)
  t.equal(docs.status, 200)

  // A request in flight when the signal arrives still gets its answer. Creating a test
  // organisation takes a while (an OSS look-up, a scrypt hash), so it is surely in flight.
  const inFlight = fetch(`http://127.0.0.1:${port}/v1/sandbox/test-organisations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nib: '8120000000011' }),
  }).then((response) => response.status)
  await new Promise((resolve) => setTimeout(resolve, 25))
  server.child.kill('SIGTERM')
  // Draining: readiness says so at once (a load balancer stops sending), the process still serves.
  await waitFor(() => server.output().stdout.includes('shutting down'), 5000, () => server.output().stdout)
  const draining = await fetch(`http://127.0.0.1:${port}/health/ready`)
  t.equal(draining.status, 503, 'readiness turns 503 first')
  t.equal(((await draining.json()) as { status: string }).status, 'draining')
  t.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200, 'liveness stays 200: no restart wanted')
  t.equal((await fetch(`http://127.0.0.1:${port}/v1/permit-types`)).status, 401, 'a request meanwhile is still answered')
  t.equal(await inFlight, 201, 'the in-flight request finished')
  t.equal(await server.exited, 0, `exit code 0 (stdout: ${server.output().stdout.slice(-1500)})`)
  t.match(server.output().stdout, /"signal":"SIGTERM".*shutting down/)
  t.notMatch(server.output().stderr, /Error/)
})

t.test('a bad setting stops start-up with one line naming the variable', async (t) => {
  const server = run({ PORT: 'not-a-port' })
  t.equal(await server.exited, 1)
  t.equal(server.output().stderr.trim(), 'Invalid configuration: PORT must be an integer from 0 to 65535 (got "not-a-port")')
})
