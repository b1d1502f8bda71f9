import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { AppError } from '../errors/app-error.ts'
import { upstreamLabels } from './upstream-errors.ts'
import type { UpstreamName } from './types.ts'

export interface ResponseReader<T extends TSchema> {
  /**
   * Validates an upstream body against the contract and returns it with unknown fields removed
   * (tolerant reader: extra fields never fail a read, and never travel further into the gateway).
   * A violation is `UPSTREAM_BAD_RESPONSE`; the detail names the failing paths, never the values.
   */
  read(body: unknown): Static<T>
}

export function responseReader<T extends TSchema>(name: UpstreamName, what: string, schema: T): ResponseReader<T> {
  const validator = Compile(schema)
  return {
    read(body) {
      if (validator.Check(body)) return validator.Clean(structuredClone(body)) as Static<T>
      const problems = validator
        .Errors(body)
        .slice(0, 5)
        .map((error) => `${error.instancePath === '' ? '/' : error.instancePath} ${error.message}`)
      throw new AppError('UPSTREAM_BAD_RESPONSE', {
        detail: `${upstreamLabels[name]} ${what} does not match the contract: ${problems.join('; ')}`,
      })
    },
  }
}
