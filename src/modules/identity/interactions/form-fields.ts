/**
 * Reading the HTML forms' fields. A browser posts each field once, urlencoded; anything else (a
 * JSON body, a repeated field, a nested value) is a client's mistake and gets a 4xx page, never
 * a 500 from code that expected a string.
 */
import type { FastifyRequest } from 'fastify'

export type FormProblem = 'not_a_form' | 'malformed_form'

/** The named fields as strings ('' when absent), or what is wrong with the body. */
export function readFormFields<K extends string>(
  request: FastifyRequest,
  names: readonly K[],
): { ok: true; fields: Record<K, string> } | { ok: false; problem: FormProblem } {
  const mediaType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (mediaType !== 'application/x-www-form-urlencoded') return { ok: false, problem: 'not_a_form' }
  const body = (request.body ?? {}) as Record<string, unknown>
  const fields = {} as Record<K, string>
  for (const name of names) {
    const value = Object.hasOwn(body, name) ? body[name] : undefined
    if (value === undefined) fields[name] = ''
    else if (typeof value === 'string') fields[name] = value
    else return { ok: false, problem: 'malformed_form' }
  }
  return { ok: true, fields }
}

/** The status each problem answers with: 415 for a body that is not a form, 400 for a malformed one. */
export function formProblemStatus(problem: FormProblem): 415 | 400 {
  return problem === 'not_a_form' ? 415 : 400
}
