/**
 * `app.permitTypes`: the one registry instance (fixtures/permit-types.json) shared by the
 * permit-type routes and the permit pipeline. Loading it, and the holidays calendar the SLAs are
 * counted with, at start means a broken fixture stops the start instead of failing a submission.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { loadHolidayCalendar, onCalendarWarning } from '../../calendar/working-days.ts'
import { loadPermitTypes, type PermitTypeRegistry } from './registry.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Permit types offered through SSM Perizinan, with their compiled payload schemas. */
    permitTypes: PermitTypeRegistry
  }
}

export interface PermitTypesPluginOptions {
  /** A registry built by the caller (tests); otherwise loaded from `path` or the default fixture. */
  registry?: PermitTypeRegistry
  path?: string
  /** The holidays fixture, when not fixtures/holidays.json. */
  holidaysPath?: string
}

async function permitTypesPlugin(app: FastifyInstance, options: PermitTypesPluginOptions): Promise<void> {
  app.decorate('permitTypes', options.registry ?? loadPermitTypes(options.path))

  onCalendarWarning((message, detail) => app.log.warn({ holidaysYear: detail.year }, message))
  const coverage = loadHolidayCalendar(options.holidaysPath)
  // SLAs run across year ends: the operator learns before December that next year is missing.
  const thisYear = new Date(Date.now() + 7 * 3_600_000).getUTCFullYear()
  for (const year of [thisYear, thisYear + 1]) {
    if (!coverage.years.includes(year)) app.log.warn({ holidaysYear: year }, `holidays fixture has no year ${year}: SLAs will count weekends only for it; add its SKB 3 Menteri to fixtures/holidays.json`)
    else if (coverage.provisional.includes(year)) app.log.warn({ holidaysYear: year }, `holidays fixture: ${year} is provisional; replace it with the SKB 3 Menteri for ${year}`)
  }
}

export default fp(permitTypesPlugin, { name: 'permit-types', fastify: '5.x' })
