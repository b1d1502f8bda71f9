/**
 * The gateway as `npm start` runs it, in a child process that a test can SIGKILL and start again
 * on the same database (the server's when DATABASE_URL is set, else an embedded one in a folder),
 * against sandbox upstreams that outlive it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Sandbox } from '../../src/sandbox/start-sandbox.ts'
import { createServerDatabase } from './database.ts'
import { freePort, testOrganisation } from './live-gateway.ts'

const root = path.resolve(import.meta.dirname, '../..')

export interface ChildGateway {
  origin: string
  /** The server database it runs on (undefined when embedded): a second instance may share it. */
  databaseUrl?: string
  start(): Promise<void>
  kill(): void
  /** Why the process died by itself (not by kill()), with the end of its output; undefined while it has not. */
  crashed(): string | undefined
  post(pathname: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; retryAfter: number }>
  /** A GET answering JSON, retried across a restart. */
  get<T>(pathname: string, headers?: Record<string, string>): Promise<T>
  /** An in-house client's token for a new test organisation of `nib` (and its Basic credentials, for more). */
  organisation(nib: string, scope: string): Promise<{ organisationId: string; token: string; basic: string }>
}

export async function childGateway(
  t: { teardown(fn: () => unknown): void },
  sandbox: Pick<Sandbox, 'ossUrl' | 'djpUrl' | 'inatradeUrl'>,
  options: {
    callbackSecret: string
    env?: Record<string, string>
    /** Another instance on the same server database (its owner drops it), as behind one load balancer. */
    shareDatabaseOf?: ChildGateway
    /** The URL clients use, shared by instances behind one load balancer (default: this instance's own). */
    publicUrl?: string
  },
): Promise<ChildGateway> {
  if (options.shareDatabaseOf && !options.shareDatabaseOf.databaseUrl) throw new Error('only a server database can be shared')
  const shared = options.shareDatabaseOf?.databaseUrl
  const serverDatabase = shared ? { url: shared, drop: async () => {} } : await createServerDatabase()
  const dataDir = serverDatabase ? undefined : mkdtempSync(path.join(tmpdir(), 'gw-child-'))
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: options.publicUrl ?? origin,
    SANDBOX: 'true',
    OSS_URL: sandbox.ossUrl,
    DJP_URL: sandbox.djpUrl,
    INATRADE_URL: sandbox.inatradeUrl,
    INATRADE_CALLBACK_SECRET: options.callbackSecret,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_SCALE: '1000',
    SHUTDOWN_DRAIN_MS: '0',
    LOAD_SHED_EVENT_LOOP_DELAY_MS: '0',
    JOB_POLL_INTERVAL_MS: '500',
    JOB_EXPIRE_SECONDS_MAX: '10',
    // A killed instance's jobs are retried a second after they expire, not after their queue's backoff (30 s for webhooks).
    JOB_RETRY_DELAY_SECONDS_MAX: '1',
    ...(serverDatabase ? { DATABASE_URL: serverDatabase.url } : { DATA_DIR: dataDir! }),
    ...options.env,
  }
  if (!serverDatabase) delete env.DATABASE_URL
  let child: ChildProcess | undefined
  let crash: string | undefined
  t.teardown(async () => {
    child?.kill('SIGKILL')
    await serverDatabase?.drop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  async function start(): Promise<void> {
    crash = undefined
    const started = spawn(process.execPath, ['src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    // The log's last lines (pino writes to stdout): what a crash said.
    let tail = ''
    started.stdout!.on('data', (chunk: Buffer) => {
      if (process.env.KILL_TEST_DEBUG) process.stderr.write(chunk)
      tail = (tail + chunk.toString('utf8')).slice(-4000)
    })
    let stderr = ''
    started.stderr!.on('data', (chunk) => (stderr += chunk))
    started.on('exit', (code, signal) => {
      // A gateway that dies by itself (not by a test's SIGKILL) is a finding: show why.
      if (signal !== 'SIGKILL') {
        crash = `gateway exited (${code ?? signal}): ${stderr.slice(-2000)}${tail.slice(-2000)}`
        console.error(crash)
      }
    })
    child = started
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`the gateway exited (${started.exitCode}): ${stderr}`)
      const ready = await fetch(`${origin}/health/ready`).then((response) => response.ok, () => false)
      if (ready) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`the gateway did not become ready: ${stderr}`)
  }

  async function post(pathname: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${origin}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: Number(response.headers.get('retry-after') ?? 0) }
  }

  return {
    origin,
    databaseUrl: serverDatabase?.url,
    start,
    kill: () => child?.kill('SIGKILL'),
    crashed: () => crash,
    post,
    get: <T>(pathname: string, headers: Record<string, string> = {}) => steady(async () => (await (await fetch(`${origin}${pathname}`, { headers })).json()) as T),
    async organisation(nib, scope) {
      return testOrganisation(origin, nib, scope, (input, init) => steady(() => fetch(input, init)))
    },
  }
}

/** A request that is retried on a network error (a pooled socket the killed gateway left, a restart under way). */
export async function steady<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= 100) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
