/**
 * TypeBox validation errors as short human sentences ("/oss/name must be string"), for fixture
 * load errors and 400 answers that a tester reads.
 */
import type { TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import { Value } from 'typebox/value'

/** Compiled once per schema: the stub checks every request body (a drain sends thousands a second). */
const validators = new WeakMap<TSchema, Validator>()

function validatorOf(schema: TSchema): Validator {
  let validator = validators.get(schema)
  if (!validator) validators.set(schema, (validator = Compile(schema)))
  return validator
}

/** `root` names the value itself in the sentences ("body", "entry"). */
export function schemaProblems(schema: TSchema, value: unknown, root = 'body'): string[] {
  if (validatorOf(schema).Check(value)) return []
  const errors = Value.Errors(schema, value)
  // A union of literals fails once per literal plus once for the anyOf: fold them into one line.
  const allowed = new Map<string, unknown[]>()
  for (const error of errors) {
    if (error.keyword !== 'const') continue
    const list = allowed.get(error.instancePath) ?? []
    list.push((error.params as { allowedValue?: unknown }).allowedValue)
    allowed.set(error.instancePath, list)
  }
  const problems: string[] = []
  for (const error of errors) {
    const where = error.instancePath === '' ? root : error.instancePath
    // `boolean` repeats an additionalProperties failure field by field ("schema is false").
    if (error.keyword === 'const' || error.keyword === 'boolean') continue
    if (error.keyword === 'anyOf' && allowed.has(error.instancePath)) {
      problems.push(`${where} must be one of ${allowed.get(error.instancePath)!.map((v) => JSON.stringify(v)).join(', ')}`)
    } else if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperties?: string[] }).additionalProperties ?? []
      problems.push(`${where} has unknown field(s) ${extra.join(', ')}`)
    } else {
      problems.push(`${where} ${error.message}`)
    }
  }
  return [...new Set(problems)]
}
