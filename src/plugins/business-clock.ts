/**
 * The gateway's business time: what reporting deadlines and sanctions are measured against.
 * Outside sandbox mode it is the real clock, always. In sandbox mode a tester may move it
 * (`POST /v1/sandbox/clock`) to watch obligations fall due and sanctions progress without
 * waiting: the offset lives in the database (business_clock) so every instance and every worker
 * agrees, read at start and every `refreshMs` after (a moved clock reaches other instances within
 * a second), and at once on the instance that moved it.
 *
 * Permits' SLAs, tokens, sign-in locks and webhook retries stay on the real clock: moving business
 * time must not expire a tester's session or stall the job engine.
 */
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

export interface BusinessClock {
  now(): Date
  /** How far business time runs ahead of the real clock (0 outside sandbox mode). */
  offsetMs(): number
  /** Sandbox only: moves business time so that it reads `offsetMs` ahead of the real clock, on every instance. */
  setOffset(offsetMs: number): Promise<void>
  /** Reads the shared offset now (the sandbox clock's route and tests; otherwise every `refreshMs`). */
  refresh(): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    businessClock: BusinessClock
  }
}

export interface BusinessClockOptions {
  /** Only the sandbox may move business time. */
  movable: boolean
  refreshMs?: number
}

export function fixedOffsetClock(offset = 0): Pick<BusinessClock, 'now' | 'offsetMs'> {
  return { now: () => new Date(Date.now() + offset), offsetMs: () => offset }
}

function databaseClock(db: Kysely<Database>): BusinessClock {
  let offset = 0
  return {
    now: () => new Date(Date.now() + offset),
    offsetMs: () => offset,
    async setOffset(next) {
      await db
        .insertInto('business_clock')
        .values({ id: true, offset_ms: next, updated_at: new Date() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ offset_ms: next, updated_at: new Date() }))
        .execute()
      offset = next
    },
    async refresh() {
      const row = await db.selectFrom('business_clock').select('offset_ms').executeTakeFirst()
      offset = Number(row?.offset_ms ?? 0)
    },
  }
}

export default fp<BusinessClockOptions>(
  async (app, options) => {
    if (!options.movable) {
      const real = fixedOffsetClock(0)
      app.decorate('businessClock', {
        ...real,
        setOffset: async () => {
          throw new Error('business time moves only in sandbox mode')
        },
        refresh: async () => {},
      })
      return
    }
    const clock = databaseClock(app.db)
    await clock.refresh()
    app.decorate('businessClock', clock)
    const timer = setInterval(() => void clock.refresh().catch((error: unknown) => app.log.warn({ err: error }, 'business clock refresh failed')), options.refreshMs ?? 1000)
    timer.unref()
    app.addHook('onClose', async () => clearInterval(timer))
  },
  { name: 'business-clock', dependencies: ['db'] },
)
