/**
 * The permit types the gateway offers, loaded once from fixtures/permit-types.json at start.
 *
 * The file is checked before the gateway serves anything: a broken entry stops the start with one
 * line naming it, rather than surfacing later as a 500 on the first submission of that type. Each
 * type's payload schema is compiled once here; `validatePayload` is then what the permit pipeline's
 * shape check calls.
 *
 * Validation cost is bounded as in src/http/bounded-validation.ts: a first pass stops at the first
 * failure (size keywords are checked before the contents), and only a small input is validated a
 * second time to list every invalid field.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaValidationError } from 'fastify'
import { fieldMessage, pointerOf } from '../../errors/field-messages.ts'
import { MAX_LISTED_ERRORS, isSmall } from '../../http/bounded-validation.ts'
import { isTimestamp } from '../../http/timestamp.ts'
import type { PermitType } from './catalogue.ts'

export interface PayloadFieldError {
  /** JSON pointer from the request body root, e.g. '/payload/lines/0/hsCode'. */
  pointer: string
  detail: { en: string; id: string }
  /** Stable reason: the JSON Schema keyword that failed ('pattern', 'required', 'minimum', ...). */
  reason: string
}

export interface PermitTypeRegistry {
  list(): PermitType[]
  get(code: string): PermitType | undefined
  /** Errors of `payload` against the type's schema (empty when valid); unknown code: one error at /permitType. */
  validatePayload(code: string, payload: unknown): PayloadFieldError[]
}

export const DEFAULT_PERMIT_TYPES_PATH = fileURLToPath(new URL('../../../fixtures/permit-types.json', import.meta.url))

/** Where the payload sits in the submission body: pointers are given from the body root. */
const PAYLOAD_POINTER = '/payload'

const CODE = /^[A-Z][A-Z0-9-]{1,31}$/
const HS_PREFIX = /^[0-9]{2,10}$/
const DOCUMENT_TYPE = /^[A-Z][A-Z0-9_]{1,39}$/

// ajv-formats is CommonJS: its default export arrives as the module object under nodenext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020

/** Digits only: `0901.11.10` and `09011110` are the same code. */
export function normaliseHsCode(code: string): string {
  return code.replace(/\D/g, '')
}

/** Whether the type covers an HS code (either written form): it starts with an allowed prefix, or the type allows any. */
export function isHsCodeAllowed(type: PermitType, hsCode: string): boolean {
  const digits = normaliseHsCode(hsCode)
  return type.allowedHsPrefixes.length === 0 || type.allowedHsPrefixes.some((prefix) => digits.startsWith(prefix))
}

class PermitTypeFileError extends Error {
  constructor(path: string, where: string, problem: string) {
    super(`permit types ${path}: ${where}: ${problem}`)
    this.name = 'PermitTypeFileError'
  }
}

function newAjv(allErrors: boolean): Ajv2020 {
  // strict: an unknown keyword or a typo in the fixture's schemas fails at start, not silently.
  const ajv = new Ajv2020({ allErrors, strict: true, strictRequired: false, allowUnionTypes: false, messages: false })
  addFormats(ajv)
  // The gateway's one definition of a timestamp (see src/http/timestamp.ts).
  ajv.addFormat('date-time', { type: 'string', validate: isTimestamp })
  return ajv
}

type Bilingual = { en: string; id: string }
const isText = (value: unknown, max = 2000): value is string => typeof value === 'string' && value.length > 0 && value.length <= max
const isBilingual = (value: unknown): value is Bilingual =>
  typeof value === 'object' && value !== null && isText((value as Bilingual).en) && isText((value as Bilingual).id)

/** What a fixture entry must hold; returns the first problem, or undefined. */
function entryProblem(entry: Record<string, unknown>): string | undefined {
  if (!isText(entry.code, 32) || !CODE.test(entry.code)) return 'code must be 2-32 characters A-Z, 0-9 or -'
  if (!isBilingual(entry.name)) return 'name needs en and id'
  if (!isBilingual(entry.description)) return 'description needs en and id'
  if (entry.direction !== 'import' && entry.direction !== 'export') return 'direction must be "import" or "export"'
  if (entry.businessType !== 'IMPORTER' && entry.businessType !== 'EXPORTER') return 'businessType must be "IMPORTER" or "EXPORTER"'
  if (entry.menu !== 'SSM_PERIZINAN') return 'menu must be "SSM_PERIZINAN"'
  if (entry.certificateKind !== undefined && entry.certificateKind !== 'transactional' && entry.certificateKind !== 'periodic') {
    return 'certificateKind must be "transactional" or "periodic" when present'
  }
  for (const key of ['slaWorkingDays', 'validityDays'] as const) {
    const value = entry[key]
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 3660) return `${key} must be a whole number 1-3660`
  }
  if (typeof entry.surveyorVerification !== 'boolean') return 'surveyorVerification must be true or false'
  if (!Array.isArray(entry.allowedHsPrefixes) || entry.allowedHsPrefixes.some((p) => typeof p !== 'string' || !HS_PREFIX.test(p))) {
    return 'allowedHsPrefixes must list 2-10 digit prefixes'
  }
  const reporting = entry.reportingObligation as Record<string, unknown> | undefined
  if (!reporting || !['monthly', 'after_validity', 'importer_calendar', 'none'].includes(reporting.kind as string)) {
    return 'reportingObligation.kind must be monthly, after_validity, importer_calendar or none'
  }
  if (!isBilingual(reporting.description)) return 'reportingObligation.description needs en and id'
  if (reporting.kind === 'after_validity' && (!Number.isInteger(reporting.workingDays) || (reporting.workingDays as number) < 1)) {
    return 'reportingObligation.workingDays must be a whole number of at least 1'
  }
  if (!Array.isArray(entry.requiredDocuments)) return 'requiredDocuments must be a list'
  for (const [index, document] of (entry.requiredDocuments as Record<string, unknown>[]).entries()) {
    if (!document || !isText(document.type, 40) || !DOCUMENT_TYPE.test(document.type) || !isBilingual(document.name) || typeof document.required !== 'boolean') {
      return `requiredDocuments[${index}] needs type (A-Z, 0-9, _), name (en, id) and required`
    }
  }
  if (typeof entry.payloadSchema !== 'object' || entry.payloadSchema === null || Array.isArray(entry.payloadSchema)) return 'payloadSchema must be a JSON Schema object'
  // The pipeline's business rules read payload.lines[].hsCode (allowed prefixes): every type must have them.
  const lines = (entry.payloadSchema as { properties?: { lines?: { items?: { properties?: Record<string, unknown>; required?: unknown } } } }).properties?.lines
  if (!lines?.items?.properties?.hsCode || !(Array.isArray(lines.items.required) && lines.items.required.includes('hsCode'))) {
    return 'payloadSchema must require commodity lines (properties.lines.items) with a required hsCode'
  }
  return unboundedIn(entry.payloadSchema, '/payloadSchema')
}

/**
 * The gateway refuses unbounded input: every string in a payload schema has a maxLength (or is an
 * enum or const), every array a maxItems, and objects are closed (additionalProperties: false).
 */
function unboundedIn(schema: unknown, at: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined
  if (Array.isArray(schema)) {
    for (const [index, item] of schema.entries()) {
      const problem = unboundedIn(item, `${at}/${index}`)
      if (problem) return problem
    }
    return undefined
  }
  const node = schema as Record<string, unknown>
  const bounded = node.enum !== undefined || node.const !== undefined
  if (node.type === 'string' && node.maxLength === undefined && !bounded) return `${at}: a string without maxLength`
  if (node.type === 'array' && node.maxItems === undefined) return `${at}: an array without maxItems`
  if (node.type === 'object' && node.additionalProperties !== false) return `${at}: an object must set additionalProperties: false`
  for (const [key, value] of Object.entries(node)) {
    if (key === 'enum' || key === 'const' || key === 'examples' || key === 'default') continue
    const problem = unboundedIn(value, `${at}/${key}`)
    if (problem) return problem
  }
  return undefined
}

/** Plain words for the domain's patterns, by field name (a regular expression helps no one). */
const PATTERN_MESSAGES: Record<string, Bilingual> = {
  hsCode: { en: 'must be an 8- or 10-digit HS code, e.g. 0901.11.10 or 09011110', id: 'harus kode HS 8 atau 10 digit, misalnya 0901.11.10 atau 09011110' },
  currency: { en: 'must be an ISO 4217 currency code, e.g. USD', id: 'harus kode mata uang ISO 4217, misalnya USD' },
  originCountry: { en: 'must be an ISO 3166-1 alpha-2 country code, e.g. CN', id: 'harus kode negara ISO 3166-1 alpha-2, misalnya CN' },
  destinationCountry: { en: 'must be an ISO 3166-1 alpha-2 country code, e.g. JP', id: 'harus kode negara ISO 3166-1 alpha-2, misalnya JP' },
  portOfDischarge: { en: 'must be a UN/LOCODE, e.g. IDTPP', id: 'harus kode UN/LOCODE, misalnya IDTPP' },
  portOfLoading: { en: 'must be a UN/LOCODE, e.g. IDTPP', id: 'harus kode UN/LOCODE, misalnya IDTPP' },
  surveyorNib: { en: 'must be a 13-digit NIB', id: 'harus NIB 13 digit' },
}

function toFieldErrors(errors: ErrorObject[]): PayloadFieldError[] {
  return errors.slice(0, MAX_LISTED_ERRORS).map((error) => {
    const asFastify = error as unknown as FastifySchemaValidationError
    const pointer = pointerOf(asFastify)
    const plain = error.keyword === 'pattern' ? PATTERN_MESSAGES[pointer.slice(pointer.lastIndexOf('/') + 1)] : undefined
    return {
      pointer: PAYLOAD_POINTER + pointer,
      detail: plain ?? { en: fieldMessage(asFastify, 'en'), id: fieldMessage(asFastify, 'id') },
      reason: error.keyword,
    }
  })
}

interface CompiledType {
  type: PermitType
  firstError: ValidateFunction
  everyError?: ValidateFunction
}

/**
 * Reads, checks and compiles the permit types. Throws one line naming the broken entry, which
 * stops the start (src/server.ts logs it and exits).
 */
export function loadPermitTypes(path: string = DEFAULT_PERMIT_TYPES_PATH): PermitTypeRegistry {
  let file: unknown
  try {
    file = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new PermitTypeFileError(path, 'file', `cannot be read as JSON (${(error as Error).message})`)
  }
  const entries = (file as { permitTypes?: unknown } | null)?.permitTypes
  if (!Array.isArray(entries) || entries.length === 0) throw new PermitTypeFileError(path, 'file', 'needs a non-empty "permitTypes" list')

  const fast = newAjv(false)
  const full = newAjv(true)
  const compiled = new Map<string, CompiledType>()
  for (const [index, raw] of entries.entries()) {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
    const where = `entry #${index}${typeof entry.code === 'string' ? ` (${entry.code.slice(0, 40)})` : ''}`
    const problem = entryProblem(entry)
    if (problem) throw new PermitTypeFileError(path, where, problem)
    const type = entry as unknown as PermitType
    if (compiled.has(type.code)) throw new PermitTypeFileError(path, where, 'code is used twice')
    let firstError: ValidateFunction
    try {
      firstError = fast.compile(type.payloadSchema)
    } catch (error) {
      throw new PermitTypeFileError(path, where, `payloadSchema does not compile: ${(error as Error).message}`)
    }
    compiled.set(type.code, { type: Object.freeze(type), firstError })
  }

  const types = Object.freeze([...compiled.values()].map((entry) => entry.type))
  return {
    list: () => [...types],
    get: (code) => compiled.get(code)?.type,
    validatePayload(code, payload) {
      const entry = compiled.get(code)
      if (!entry) return [{ pointer: '/permitType', reason: 'enum', detail: { en: 'is not a known permit type', id: 'bukan jenis izin yang dikenal' } }]
      if (entry.firstError(payload)) return []
      let errors = entry.firstError.errors ?? []
      // The second, complete pass only for an ordinary-sized input (see the header comment).
      if (isSmall(payload)) {
        entry.everyError ??= full.compile(entry.type.payloadSchema)
        if (!entry.everyError(payload) && entry.everyError.errors?.length) errors = entry.everyError.errors
      }
      return toFieldErrors(errors)
    },
  }
}
