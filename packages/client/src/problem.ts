/** The gateway's RFC 9457 problems as a typed error: `code` is stable, `errors` name the fields. */
import type { components } from './schema.ts'

export type Problem = components['schemas']['Problem']

export class ProblemError extends Error {
  readonly status: number
  readonly code: string
  readonly problem: Problem
  readonly response: Response

  constructor(problem: Problem, response: Response) {
    const fields = (problem.errors ?? []).map((error) => `${error.pointer || '/'}: ${error.detail}`)
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}${fields.length > 0 ? ` (${fields.join('; ')})` : ''}`)
    this.name = 'ProblemError'
    this.status = problem.status
    this.code = problem.code
    this.problem = problem
    this.response = response
  }
}

/** True when `value` looks like one of the gateway's problem documents. */
export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).code === 'string' && typeof (value as Problem).status === 'number'
}

/**
 * The data of an openapi-fetch result, or a ProblemError for a problem answer (any other error
 * body becomes a generic Error with the status).
 */
export function expectData<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error === undefined && result.response.ok) return result.data as T
  if (isProblem(result.error)) throw new ProblemError(result.error, result.response)
  throw new Error(`the gateway answered ${result.response.status} without a problem document`)
}
