/**
 * Runs the fan-out while the app is up (where job workers run): a pass, then another at once
 * while passes come back full, else a pause of `intervalMs` (or less: `wake()` from this
 * process, e.g. after a batch of forwards). On an error it logs and waits; the events stay
 * unhandled in the table, so nothing is lost and the next pass takes them.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { fanOutPermitEvents, type FanOutDeps } from './fanout.ts'

export interface FanOutPump {
  /** Starts a pass now instead of at the end of the pause. */
  wake(): void
  stop(): Promise<void>
}

export interface PumpOptions {
  intervalMs: number
  batch: number
  log: { error(obj: Record<string, unknown>, msg: string): void }
  /** After a pass that wrote notifications: the organisations (their live streams on this instance). */
  onNotified: (organisations: Set<string>) => void
}

export function startFanOutPump(deps: FanOutDeps, options: PumpOptions): FanOutPump {
  let running = true
  let pause = new AbortController()
  const loop = (async () => {
    while (running) {
      let full = false
      try {
        const result = await fanOutPermitEvents(deps, options.batch)
        if (result.organisations.size > 0) options.onNotified(result.organisations)
        full = result.events === options.batch
      } catch (error) {
        options.log.error({ err: error }, 'notifications fan-out pass failed; retrying after the pause')
      }
      if (full || !running) continue
      await sleep(options.intervalMs, undefined, { signal: pause.signal }).catch(() => {})
      pause = new AbortController()
    }
  })()
  return {
    wake: () => pause.abort(),
    async stop() {
      running = false
      pause.abort()
      await loop
    },
  }
}
