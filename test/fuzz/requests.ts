/**
 * Requests for the fuzzer, from the contract: one operation's parameters and JSON body as
 * arbitraries (schema-arbitrary.ts), and mutations of a valid request that make it invalid. Ajv
 * (the contract's own schemas, coercing parameters as Fastify does) confirms each verdict, so a
 * "valid" request is one the contract accepts and a "mutated" one is one it refuses.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import fc from 'fast-check'
import { SchemaArbitraries, type Schema } from './schema-arbitrary.ts'

export interface ContractParameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Schema
}

export interface ContractOperation {
  method: string
  path: string
  parameters: ContractParameter[]
  body?: Schema
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>
}

export interface FuzzRequest {
  operation: ContractOperation
  params: Record<string, string>
  query: Record<string, string>
  headers: Record<string, string>
  /** Absent: no body sent. */
  body?: { value: unknown }
  /** For a mutated request: what was changed. */
  mutation?: string
}

export interface Contract {
  paths: Record<string, Record<string, { parameters?: ContractParameter[]; requestBody?: { content: Record<string, { schema: Schema }> }; responses: ContractOperation['responses'] }>>
  components?: { schemas?: Record<string, Schema> }
}

// ajv-formats is CommonJS: its function is the default export's default under Node's ESM loader.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

export function contractOperations(document: Contract, skip: (method: string, path: string) => boolean): ContractOperation[] {
  const operations: ContractOperation[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation || skip(method.toUpperCase(), path)) continue
      const content = operation.requestBody?.content
      if (content && !content['application/json']) continue
      operations.push({ method: method.toUpperCase(), path, parameters: operation.parameters ?? [], body: content?.['application/json']?.schema, responses: operation.responses })
    }
  }
  return operations
}

/** Ajv over the contract's components: `#/components/schemas/X` resolves inside the document. */
export function contractValidator(document: Contract) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true })
  addFormats(ajv)
  ajv.addFormat('binary', true)
  const coercing = new Ajv2020({ strict: false, coerceTypes: 'array', validateFormats: true })
  addFormats(coercing)
  for (const instance of [ajv, coercing]) instance.addSchema({ $id: 'contract', components: document.components ?? {} })
  const rewrite = (schema: Schema): Schema => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"contract#/components/')) as Schema
  const compiled = new Map<Schema, ValidateFunction>()
  const parameterValidators = new Map<string, ValidateFunction>()
  const compile = (instance: Ajv2020, schema: Schema): ValidateFunction => {
    let validate = compiled.get(schema)
    if (!validate) {
      validate = instance.compile(rewrite(schema))
      compiled.set(schema, validate)
    }
    return validate
  }
  return {
    body: (schema: Schema, value: unknown) => compile(ajv, schema)(value),
    response: (schema: Schema, value: unknown): string | undefined => {
      const validate = compile(ajv, schema)
      return validate(value) ? undefined : ajv.errorsText(validate.errors)
    },
    /** Parameters as strings, coerced as Fastify's validation coerces them. */
    parameters: (operation: ContractOperation, where: 'path' | 'query' | 'header', values: Record<string, string>) => {
      const key = `${operation.method} ${operation.path} ${where}`
      let validate = parameterValidators.get(key)
      if (!validate) {
        const declared = operation.parameters.filter((parameter) => parameter.in === where)
        validate = coercing.compile(
          rewrite({
            type: 'object',
            properties: Object.fromEntries(declared.map((parameter) => [parameter.name, parameter.schema])),
            required: declared.filter((parameter) => parameter.required).map((parameter) => parameter.name),
          }),
        )
        parameterValidators.set(key, validate)
      }
      return validate({ ...values })
    },
  }
}

export type ContractValidator = ReturnType<typeof contractValidator>

/** Well-known values where the fuzzer's own fixtures make a request reach further than a 404. */
export type Known = Record<string, fc.Arbitrary<string>>

export function requestArbitrary(document: Contract, operation: ContractOperation, known: Known): fc.Arbitrary<FuzzRequest> {
  const schemas = new SchemaArbitraries(document)
  const text = (parameter: ContractParameter) => schemas.of(parameter.schema).map((value) => String(value))
  const group = (where: ContractParameter['in']) => {
    const declared = operation.parameters.filter((parameter) => parameter.in === where)
    const model: Record<string, fc.Arbitrary<string>> = {}
    for (const parameter of declared) {
      const own = known[parameter.name]
      model[parameter.name] = own && where === 'path' ? fc.oneof({ arbitrary: own, weight: 4 }, { arbitrary: text(parameter), weight: 1 }) : text(parameter)
    }
    return fc.record(model, { requiredKeys: declared.filter((parameter) => parameter.required || where === 'path').map((parameter) => parameter.name) }) as fc.Arbitrary<Record<string, string>>
  }
  const body = operation.body ? schemas.of(operation.body).map((value) => ({ value })) : fc.constant(undefined)
  return fc.record({ params: group('path'), query: group('query'), headers: group('header'), body }).map((parts) => ({ operation, ...parts }))
}

const WRONG_TYPES: unknown[] = [{}, [], 42, true, null, 'text', [{ nested: [] }]]

/** One change that should make `request` invalid; the fuzzer keeps it only when Ajv agrees. */
export function mutationArbitrary(document: Contract, request: FuzzRequest): fc.Arbitrary<FuzzRequest> {
  const schemas = new SchemaArbitraries(document)
  const mutations: fc.Arbitrary<FuzzRequest>[] = []
  const { operation } = request
  for (const parameter of operation.parameters.filter((candidate) => candidate.in !== 'header')) {
    const where = parameter.in === 'path' ? 'params' : 'query'
    const invalid = fc.constantFrom('', 'not-valid', '-1', '0', '1e309', 'x'.repeat(600), '\u0000', '%', '..%2f', "'; drop table permits; --", '<script>x</script>', '\u202e\ud83d\ude00')
    mutations.push(invalid.map((value) => ({ ...request, [where]: { ...request[where], [parameter.name]: value }, mutation: `${parameter.in} ${parameter.name} = ${JSON.stringify(value).slice(0, 40)}` })))
  }
  if (operation.body) {
    const schema = schemas.resolve(operation.body)
    mutations.push(fc.constantFrom(...WRONG_TYPES).map((value) => ({ ...request, body: { value }, mutation: `body = ${JSON.stringify(value)}` })))
    const current = request.body?.value
    if (current && typeof current === 'object' && !Array.isArray(current)) {
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      const names = Object.keys(properties)
      const required = (schema.required ?? []) as string[]
      const object = current as Record<string, unknown>
      if (required.length > 0) {
        mutations.push(fc.constantFrom(...required).map((name) => {
          const { [name]: _dropped, ...rest } = object
          return { ...request, body: { value: rest }, mutation: `body without ${name}` }
        }))
      }
      if (names.length > 0) {
        mutations.push(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...WRONG_TYPES)).map(([name, value]) => ({ ...request, body: { value: { ...object, [name]: value } }, mutation: `body ${name} = ${JSON.stringify(value)}` })))
        mutations.push(fc.constantFrom(...names).map((name) => {
          const property = schemas.resolve(properties[name]!)
          const limit = typeof property.maxLength === 'number' ? property.maxLength : 1000
          return { ...request, body: { value: { ...object, [name]: 'é'.repeat(limit + 1) } }, mutation: `body ${name} over its length` }
        }))
      }
      mutations.push(fc.constantFrom('unexpected', 'isAdmin', 'organisationId').map((name) => ({ ...request, body: { value: { ...object, [`${name}_${names.length}`]: 1 } }, mutation: `body with unknown ${name}` })))
    }
  }
  // An operation without parameters or body (GET /v1/me) has nothing to get wrong.
  return mutations.length > 0 ? fc.oneof(...mutations) : fc.constant({ ...request, mutation: 'none' })
}
