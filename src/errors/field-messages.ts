/**
 * Field-level messages for schema violations, in English and Indonesian. Built from the
 * validator's keyword and params rather than its English text, so both languages say the same.
 */
import type { FastifySchemaValidationError } from 'fastify'
import type { Language } from './language.ts'

type Params = Record<string, unknown>

const messages: Record<string, (p: Params) => { en: string; id: string }> = {
  required: () => ({ en: 'is required', id: 'wajib diisi' }),
  type: (p) => ({ en: `must be of type ${p.type}`, id: `harus bertipe ${p.type}` }),
  pattern: (p) => ({ en: `must match the pattern ${p.pattern}`, id: `harus sesuai pola ${p.pattern}` }),
  format: (p) => ({ en: `must be a valid ${p.format}`, id: `harus berformat ${p.format} yang valid` }),
  minLength: (p) => ({ en: `must be at least ${p.limit} characters`, id: `minimal ${p.limit} karakter` }),
  maxLength: (p) => ({ en: `must be at most ${p.limit} characters`, id: `maksimal ${p.limit} karakter` }),
  minimum: (p) => ({ en: `must be ${p.comparison} ${p.limit}`, id: `harus ${p.comparison} ${p.limit}` }),
  maximum: (p) => ({ en: `must be ${p.comparison} ${p.limit}`, id: `harus ${p.comparison} ${p.limit}` }),
  exclusiveMinimum: (p) => ({ en: `must be ${p.comparison} ${p.limit}`, id: `harus ${p.comparison} ${p.limit}` }),
  exclusiveMaximum: (p) => ({ en: `must be ${p.comparison} ${p.limit}`, id: `harus ${p.comparison} ${p.limit}` }),
  minItems: (p) => ({ en: `must have at least ${p.limit} items`, id: `minimal ${p.limit} item` }),
  maxItems: (p) => ({ en: `must have at most ${p.limit} items`, id: `maksimal ${p.limit} item` }),
  enum: (p) => ({
    en: `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`,
    id: `harus salah satu dari: ${(p.allowedValues as unknown[]).join(', ')}`,
  }),
  const: (p) => ({ en: `must be ${String(p.allowedValue)}`, id: `harus bernilai ${String(p.allowedValue)}` }),
  additionalProperties: () => ({ en: 'is not an accepted field', id: 'bukan kolom yang diterima' }),
  anyOf: () => ({ en: 'does not match any accepted form', id: 'tidak sesuai bentuk yang diterima' }),
  oneOf: () => ({ en: 'does not match exactly one accepted form', id: 'tidak sesuai tepat satu bentuk yang diterima' }),
}

/** JSON pointer of the offending member: `required` and `additionalProperties` name a child. */
export function pointerOf(error: FastifySchemaValidationError): string {
  const base = error.instancePath ?? ''
  const params = error.params as Params
  const child = (params.missingProperty ?? params.additionalProperty) as string | undefined
  if (child === undefined) return base
  return `${base}/${child.replaceAll('~', '~0').replaceAll('/', '~1')}`
}

export function fieldMessage(error: FastifySchemaValidationError, language: Language): string {
  const build = messages[error.keyword]
  if (build) return build(error.params as Params)[language]
  return language === 'id' ? 'nilai tidak valid' : (error.message ?? 'is invalid')
}
