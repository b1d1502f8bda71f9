/** The messages between `npm run bench` and the servers it forks (child_process IPC). */

export interface MemoryFigures {
  rss: number
  heapUsed: number
  /** Whether a full GC ran first (the child runs with --expose-gc). */
  afterGc: boolean
}

export type ChildMessage = { type: 'ready'; port: number; memory: MemoryFigures; inatradeUrl?: string; upstreams?: Record<string, string> } | { type: 'memory'; memory: MemoryFigures } | { type: 'seeded'; detail: unknown } | { type: 'error'; message: string }

export type ParentMessage = { type: 'memory'; gc: boolean } | { type: 'seed'; organisationId: string; users: number }

export function memoryFigures(gc: boolean): MemoryFigures {
  const collect = (globalThis as { gc?: () => void }).gc
  if (gc && collect) {
    // Twice: the first pass may only queue finalisers whose memory the second frees.
    collect()
    collect()
  }
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed, afterGc: gc && Boolean(collect) }
}

export function send(message: ChildMessage): void {
  process.send?.(message)
}

/** Answers memory requests; `seed` is handled by whoever can write to the database. */
export function answerParent(seed?: (organisationId: string, users: number) => Promise<unknown>): void {
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') send({ type: 'memory', memory: memoryFigures(message.gc) })
    else if (message.type === 'seed' && seed) {
      seed(message.organisationId, message.users).then(
        (detail) => send({ type: 'seeded', detail }),
        (error: Error) => send({ type: 'error', message: error.message }),
      )
    }
  })
  // The bench exits or dies: so does this server.
  process.on('disconnect', () => process.exit(0))
}
