/**
 * fast-check arbitraries from the contract's JSON Schemas (OpenAPI 3.1, the subset the gateway's
 * TypeBox schemas produce: type, enum, const, anyOf/oneOf, properties/required/additionalProperties,
 * items/minItems/maxItems/uniqueItems, minLength/maxLength/pattern/format, minimum/maximum, $ref).
 * The same schemas the server validates with, so "valid" here means what the server accepts; the
 * fuzzer still checks each sample with Ajv and counts only those it confirms.
 */
import fc from 'fast-check'

export type Schema = Record<string, unknown>

/** Arrays stay short and strings reasonably so: the fuzzer wants breadth, not the body limit. */
const MAX_ITEMS = 4
const MAX_STRING = 40

export class SchemaArbitraries {
  readonly #components: Record<string, Schema>
  readonly #cache = new Map<Schema, fc.Arbitrary<unknown>>()

  constructor(document: { components?: { schemas?: Record<string, Schema> } }) {
    this.#components = document.components?.schemas ?? {}
  }

  resolve(schema: Schema): Schema {
    let current = schema
    for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
      const name = (current.$ref as string).replace('#/components/schemas/', '')
      const target = this.#components[name]
      if (!target) throw new Error(`unresolved ${current.$ref as string}`)
      current = target
    }
    return current
  }

  of(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const resolved = this.resolve(schema)
    const cached = this.#cache.get(resolved)
    if (cached) return cached
    const arbitrary = this.#build(resolved, depth)
    this.#cache.set(resolved, arbitrary)
    return arbitrary
  }

  #build(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    if ('const' in schema) return fc.constant(schema.const)
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
    const choices = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
    if (choices) return fc.oneof(...choices.map((choice) => this.of(choice, depth + 1)))
    const type = schema.type
    if (Array.isArray(type)) return fc.oneof(...type.map((one) => this.#build({ ...schema, type: one }, depth)))
    switch (type) {
      case 'string':
        return stringArbitrary(schema)
      case 'integer':
      case 'number':
        return numberArbitrary(schema, type)
      case 'boolean':
        return fc.boolean()
      case 'null':
        return fc.constant(null)
      case 'array':
        return this.#array(schema, depth)
      case 'object':
        return this.#object(schema, depth)
      default:
        // No type (anything goes): a small JSON value.
        return fc.jsonValue({ maxDepth: 2 })
    }
  }

  #array(schema: Schema, depth: number): fc.Arbitrary<unknown[]> {
    const minLength = (schema.minItems as number | undefined) ?? 0
    const maxLength = Math.max(minLength, Math.min((schema.maxItems as number | undefined) ?? MAX_ITEMS, depth > 3 ? minLength : MAX_ITEMS))
    const items = schema.items ? this.of(schema.items as Schema, depth + 1) : fc.jsonValue({ maxDepth: 1 })
    return schema.uniqueItems
      ? fc.uniqueArray(items, { minLength, maxLength, selector: (value) => JSON.stringify(value) })
      : fc.array(items, { minLength, maxLength })
  }

  #object(schema: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    const required = new Set((schema.required ?? []) as string[])
    const model: Record<string, fc.Arbitrary<unknown>> = {}
    for (const [name, property] of Object.entries(properties)) {
      // Deep optional branches are left out: they add nothing but time.
      if (depth > 4 && !required.has(name)) continue
      model[name] = this.of(property, depth + 1)
    }
    return fc.record(model, { requiredKeys: [...required].filter((name) => name in model) })
  }
}

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0
  const maxLength = (schema.maxLength as number | undefined) ?? Math.max(minLength, MAX_STRING)
  const fits = (value: string) => value.length >= minLength && value.length <= maxLength
  switch (schema.format) {
    case 'uuid':
      return fc.uuid()
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString())
    case 'date':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10))
    case 'email':
      return fc.emailAddress().filter(fits)
    case 'uri':
      return fc.webUrl().filter(fits)
  }
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
  return fc.string({ minLength, maxLength: Math.min(maxLength, Math.max(minLength, MAX_STRING)), unit: 'grapheme' })
}

function numberArbitrary(schema: Schema, type: 'integer' | 'number'): fc.Arbitrary<number> {
  const exclusiveMin = schema.exclusiveMinimum as number | undefined
  const exclusiveMax = schema.exclusiveMaximum as number | undefined
  const min = (schema.minimum as number | undefined) ?? (exclusiveMin !== undefined ? exclusiveMin + (type === 'integer' ? 1 : 1e-6) : -1e6)
  const max = (schema.maximum as number | undefined) ?? (exclusiveMax !== undefined ? exclusiveMax - (type === 'integer' ? 1 : 1e-6) : 1e9)
  return type === 'integer' ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}
