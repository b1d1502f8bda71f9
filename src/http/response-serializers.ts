/**
 * Response serializers compiled once per distinct schema. Fastify compiles a fast-json-stringify
 * function for every response status of every route at start: hundreds of them, most of them the
 * same problem+json schema, together most of the start's CPU. This factory (given to Fastify as
 * `schemaController.compilersFactory.buildSerializer`) keeps Fastify's own compiler and shared
 * schemas but gives identical schemas one function. Measured on the busy 2-core bench machine:
 * build + ready 8-10 s before, ~1.9 s after (compiling lazily on first use saved only ~0.5 s more,
 * and would move compile errors and their cost to the first requests, so it is not done).
 * Validation is untouched: every response is still serialised by its schema.
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
    const compile = fastifyDefault(externalSchemas, serializerOpts)
    return (input) => {
      // Top-level annotations (a problem response's description per route) do not change the output.
      const key = JSON.stringify({ ...(input.schema as object), description: undefined, title: undefined, examples: undefined })
      let serializer = shared.get(key)
      if (!serializer) shared.set(key, (serializer = compile(input)))
      return serializer
    }
  }
}
