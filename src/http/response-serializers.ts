/**
 * Response serializers compiled once per distinct schema. Fastify compiles a fast-json-stringify
 * function for every response status of every route at start: hundreds of them, most of them the
 * same problem+json schema, together most of the start's CPU. This factory (given to Fastify as
 * `schemaController.compilersFactory.buildSerializer`) keeps Fastify's own compiler and shared
 * schemas but gives identical schemas one function. Measured on the busy 2-core bench machine:
 * build + ready 8-10 s before, ~1.9 s after (compiling lazily on first use saved only ~0.5 s more,
 * and would move compile errors and their cost to the first requests, so it is not done).
 * Validation is untouched: every response is still serialised by its schema.
 *
 * Second, unions of plain types (TypeBox's `Type.Union([Type.String({ format: 'uuid' }), Type.Null()])`,
 * i.e. `anyOf` of `{ type: 'string' }` and `{ type: 'null' }`) are given to fast-json-stringify as
 * a type list (`type: ['string', 'null']`). For `anyOf` it runs an Ajv validation of every
 * option on every value (format regexes included) to pick one; for a type list it checks the
 * JavaScript type. A 20-user page: 1.1 ms -> ~0.3 ms (the OrgUser schema has 13 such unions).
 * A value of the wrong type still fails serialisation (500); only the options' `format`/`pattern`
 * are no longer checked on output, as they never are for a plain (non-union) string field.
 * The published contract is unchanged: this rewrites only the serializers' copy.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'

type SerializerFactory = ReturnType<typeof SerializerSelector>
type Serializer = ReturnType<ReturnType<SerializerFactory>>

/** Identity numbers for schema objects, so a cache key says "these very shared schemas". */
const objectIds = new WeakMap<object, number>()
let nextObjectId = 0
const idOf = (value: object) => {
  let id = objectIds.get(value)
  if (id === undefined) objectIds.set(value, (id = nextObjectId++))
  return id
}

const PRIMITIVE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null'])
/** Keywords that make an option more than a plain type (the rewrite then leaves its union alone). */
const STRUCTURAL = ['properties', 'items', 'prefixItems', 'additionalProperties', 'patternProperties', 'anyOf', 'oneOf', 'allOf', 'not', 'if', '$ref', 'const', 'enum']
/** Formats fast-json-stringify acts on (it writes Date objects by them): keep those unions as they are. */
const SERIALIZED_FORMATS = new Set(['date-time', 'date', 'time'])

function plainTypeList(options: unknown[]): string[] | undefined {
  const types: string[] = []
  for (const option of options) {
    if (!option || typeof option !== 'object' || Array.isArray(option)) return undefined
    const { type, format } = option as { type?: unknown; format?: unknown }
    if (typeof type !== 'string' || !PRIMITIVE_TYPES.has(type) || types.includes(type)) return undefined
    if (typeof format === 'string' && SERIALIZED_FORMATS.has(format)) return undefined
    if (STRUCTURAL.some((keyword) => keyword in option)) return undefined
    types.push(type)
  }
  // number and integer overlap: fast-json-stringify could not tell them apart by type.
  return types.includes('number') && types.includes('integer') ? undefined : types
}

/** A copy of `schema` with every union of plain types turned into a type list (see above). */
export function withTypeLists<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withTypeLists) as T
  if (!schema || typeof schema !== 'object') return schema
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) copy[key] = withTypeLists(value)
  const types = Array.isArray(copy.anyOf) ? plainTypeList(copy.anyOf) : undefined
  if (types) {
    delete copy.anyOf
    copy.type = types
  }
  return copy as T
}

export function sharedSerializers(): SerializerFactory {
  const fastifyDefault = SerializerSelector()
  // Per set of shared schemas (an encapsulation context may add its own), then per schema.
  const byContext = new Map<string, Map<string, Serializer>>()
  return (externalSchemas, serializerOpts) => {
    const schemas = (externalSchemas ?? {}) as Record<string, object>
    const contextKey = `${JSON.stringify(serializerOpts ?? {})}|${Object.entries(schemas)
      .map(([id, schema]) => `${id}#${idOf(schema)}`)
      .sort()
      .join(',')}`
    let serializers = byContext.get(contextKey)
    if (!serializers) byContext.set(contextKey, (serializers = new Map()))
    const shared = serializers
    const compile = fastifyDefault(
      Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withTypeLists(schema)])),
      serializerOpts,
    )
    return (input) => {
      // Top-level annotations (a problem response's description per route) do not change the output.
      const key = JSON.stringify({ ...(input.schema as object), description: undefined, title: undefined, examples: undefined })
      let serializer = shared.get(key)
      if (!serializer) shared.set(key, (serializer = compile({ ...input, schema: withTypeLists(input.schema) })))
      return serializer
    }
  }
}
