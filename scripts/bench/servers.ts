/** Forks the bench's servers (gateway, baselines) and talks to them over IPC. */
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import type { ChildMessage, MemoryFigures, ParentMessage } from './child-ipc.ts'

export interface Server {
  name: string
  url: string
  /** The gateway's sandbox INATRADE stub (gateway and sandbox servers). */
  inatradeUrl?: string
  /** OSS_URL, DJP_URL, INATRADE_URL (the sandbox server only): a gateway's environment. */
  upstreams?: Record<string, string>
  pid: number
  /** Fork to listening, milliseconds. */
  startMs: number
  memoryAtReady: MemoryFigures
  memory(gc: boolean): Promise<MemoryFigures>
  seedUsers(organisationId: string, users: number): Promise<void>
  stop(): Promise<void>
}

const here = path.dirname(new URL(import.meta.url).pathname)
const START_TIMEOUT_MS = 120_000

function nextMessage(child: ChildProcess, accept: (message: ChildMessage) => boolean, timeoutMs = 30_000): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'error') finish(new Error(message.message))
      else if (accept(message)) finish(undefined, message)
    }
    const onExit = (code: number | null) => finish(new Error(`exited (${code}) before answering`))
    function finish(error?: Error, message?: ChildMessage) {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve(message!)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/** Starts `script` (gateway-server.ts, baseline-server.ts, sandbox-server.ts or receiver-server.ts) with `env`; resolves once it listens. */
export async function startServer(name: string, script: 'gateway-server.ts' | 'baseline-server.ts' | 'sandbox-server.ts' | 'receiver-server.ts', env: Record<string, string>): Promise<Server> {
  const started = performance.now()
  const child = fork(path.join(here, script), {
    env: { ...process.env, ...env },
    execArgv: ['--expose-gc'],
    // The access log goes to /dev/null: written, as in production, but not shown.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  let ready: ChildMessage
  try {
    ready = await nextMessage(child, (message) => message.type === 'ready', START_TIMEOUT_MS)
  } catch (error) {
    child.kill()
    throw new Error(`${name} did not start: ${(error as Error).message}`, { cause: error })
  }
  if (ready.type !== 'ready') throw new Error('unreachable')
  const ask = async (message: ParentMessage, type: ChildMessage['type']) => {
    const answer = nextMessage(child, (reply) => reply.type === type)
    child.send(message)
    return answer
  }
  return {
    name,
    url: `http://127.0.0.1:${ready.port}`,
    inatradeUrl: ready.inatradeUrl,
    upstreams: ready.upstreams,
    pid: child.pid!,
    startMs: performance.now() - started,
    memoryAtReady: ready.memory,
    async memory(gc) {
      const answer = await ask({ type: 'memory', gc }, 'memory')
      return (answer as Extract<ChildMessage, { type: 'memory' }>).memory
    },
    async seedUsers(organisationId, users) {
      await ask({ type: 'seed', organisationId, users }, 'seeded')
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
