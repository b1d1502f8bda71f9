/**
 * Request validation whose cost is bounded whatever the client sends.
 *
 * Ajv's `allErrors` mode keeps validating after the first failure: every item of a 60,000-item
 * array, every format of an over-long string, every pair for `uniqueItems`. One request of a few
 * hundred KB then costs seconds of CPU and answers a problem many times its size. So:
 * 1. every request is validated first with `allErrors: false`: it stops at the first failure, and
 *    Ajv checks size keywords (`maxItems`, `maxLength`, `maxProperties`) before it looks inside;
 * 2. only when that fails and the input is small (few values, short strings) is it validated again
 *    with `allErrors: true`, so a client still learns every invalid field of an ordinary form;
 * 3. at most MAX_LISTED_ERRORS are listed, and the problem says when more exist.
 * The second validator is compiled on first use, so start-up compiles each schema once.
 */
import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifySchemaValidationError } from 'fastify'
import { isTimestamp } from './timestamp.ts'

export const MAX_LISTED_ERRORS = 20
/** Inputs at most this big are re-validated for every error; larger ones stop at the first. */
const SMALL_INPUT_VALUES = 300
const SMALL_INPUT_STRING = 2048

/** How complete the listed errors are: attached to the error array Fastify hands the error handler. */
export interface ErrorListing {
  /** Errors found in all (more than listed when capped); undefined when validation stopped at the first. */
  total?: number
}
const listings = new WeakMap<object, ErrorListing>()

export function errorListing(errors: unknown): ErrorListing | undefined {
  return errors && typeof errors === 'object' ? listings.get(errors) : undefined
}

/** True when `value` holds at most SMALL_INPUT_VALUES values and no long string (stops early). */
export function isSmall(value: unknown): boolean {
  let budget = SMALL_INPUT_VALUES
  const visit = (node: unknown): boolean => {
    if (--budget < 0) return false
    if (typeof node === 'string') return node.length <= SMALL_INPUT_STRING
    if (node === null || typeof node !== 'object') return true
    if (Array.isArray(node)) {
      for (const item of node) if (!visit(item)) return false
      return true
    }
    for (const key in node) {
      if (key.length > SMALL_INPUT_STRING || !visit((node as Record<string, unknown>)[key])) return false
    }
    return true
  }
  return visit(value)
}

type AjvValidate = ((data: unknown, context?: unknown) => boolean | Promise<unknown>) & {
  errors?: FastifySchemaValidationError[] | null
  schemaEnv?: unknown
}
type CompileInput = { schema: unknown; method: string; url: string; httpPart: string }
type BuildCompiler = (externalSchemas: unknown, options: { customOptions?: Record<string, unknown>; plugins?: unknown[]; onCreate?: unknown }) => (input: CompileInput) => AjvValidate

/**
 * The date-time format the gateway accepts: RFC 3339 with a year 0001–9999 and no leap second,
 * i.e. what a JavaScript Date and PostgreSQL both read back unchanged (ajv-formats accepts
 * `23:59:60` and year 0000, which then fail deeper down as a 500).
 */
function strictFormats(ajv: { addFormat(name: string, format: { type: 'string'; validate: (value: string) => boolean }): unknown }): void {
  ajv.addFormat('date-time', { type: 'string', validate: isTimestamp })
}

/**
 * Ajv coerces `?limit=1e309` to Infinity and lets it through `type: integer` and `maximum` alike
 * (Infinity % 1 is NaN), and PostgreSQL then refuses it (a 500). Parameters, query and headers
 * are flat, so one pass over the coerced values finds it.
 */
function nonFiniteNumber(data: unknown): FastifySchemaValidationError | undefined {
  if (!data || typeof data !== 'object') return undefined
  for (const [name, value] of Object.entries(data)) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return { instancePath: `/${name}`, schemaPath: '#/type', keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' }
    }
  }
  return undefined
}

/**
 * `schemaController.compilersFactory.buildValidator` for Fastify: the same Ajv options as
 * configured, with the two-pass behaviour above.
 */
export function boundedValidatorFactory(): BuildCompiler {
  const pool = (AjvCompiler as unknown as () => BuildCompiler)()
  return (externalSchemas, options) => {
    // Parameters, query and headers arrive as text and are coerced (`?limit=20` is a number); a body
    // is JSON and means what it says: `{"clientReference": 42}` is a 422, not the string "42".
    const withOptions = (allErrors: boolean, body: boolean) =>
      pool(externalSchemas, {
        ...options,
        customOptions: { ...options.customOptions, allErrors, ...(body ? { coerceTypes: false } : {}) },
        onCreate: strictFormats,
      })
    const firstError = { body: withOptions(false, true), text: withOptions(false, false) }
    const everyErrorOf: { body?: ReturnType<BuildCompiler>; text?: ReturnType<BuildCompiler> } = {}
    return (input) => {
      const part = input.httpPart === 'body' ? 'body' : 'text'
      const fast = firstError[part](input)
      let full: AjvValidate | undefined
      const validate: AjvValidate = (data, context) => {
        if (fast(data, context) === true) {
          const infinite = part === 'text' ? nonFiniteNumber(data) : undefined
          if (infinite === undefined) return true
          validate.errors = [infinite]
          return false
        }
        let errors = fast.errors ?? []
        let listing: ErrorListing = {}
        if (isSmall(data)) {
          const everyError = (everyErrorOf[part] ??= withOptions(true, part === 'body'))
          full ??= everyError(input)
          if (full(data, context) === false && full.errors?.length) {
            errors = full.errors
            listing = { total: errors.length }
          }
        }
        const listed = errors.slice(0, MAX_LISTED_ERRORS)
        listings.set(listed, listing)
        validate.errors = listed
        return false
      }
      // Fastify passes the parent object when the validator has one, so root values can be coerced.
      validate.schemaEnv = fast.schemaEnv
      return validate
    }
  }
}
