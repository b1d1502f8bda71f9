import type { Static, TSchema } from 'typebox'
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { Format } from 'typebox/format'
import { isTimestamp } from '../http/timestamp.ts'
import { AppError } from '../errors/app-error.ts'
import { upstreamLabels } from './upstream-errors.ts'
import type { UpstreamName } from './types.ts'

/**
 * A timestamp an upstream sends: the gateway's own strict definition (no leap second, a real day,
 * year 0001–9999). An upstream answering anything else is a 502 UPSTREAM_BAD_RESPONSE here rather
 * than a RangeError (500) wherever the value is turned into a Date.
 */
const UPSTREAM_TIMESTAMP_FORMAT = 'insw-timestamp'
Format.Set(UPSTREAM_TIMESTAMP_FORMAT, isTimestamp)
export const UpstreamTimestamp = () => Type.String({ format: UPSTREAM_TIMESTAMP_FORMAT })

export interface ResponseReader<T extends TSchema> {
  /**
   * Validates an upstream body against the contract and returns it with unknown fields removed
   * (tolerant reader: extra fields never fail a read, and never travel further into the gateway).
   * A violation is `UPSTREAM_BAD_RESPONSE`; the detail names the failing paths, never the values.
   */
  read(body: unknown): Static<T>
}

export interface ReaderOptions {
  /**
   * false: check only, for a caller that copies the fields it uses into a value of its own (so
   * nothing unknown travels further anyway) and reads often: cleaning clones the body and walks
   * it against the schema, the larger part of a read.
   */
  clean?: boolean
}

export function responseReader<T extends TSchema>(name: UpstreamName, what: string, schema: T, options: ReaderOptions = {}): ResponseReader<T> {
  const validator = Compile(schema)
  const clean = options.clean ?? true
  return {
    read(body) {
      if (validator.Check(body)) return (clean ? validator.Clean(structuredClone(body)) : body) as Static<T>
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
