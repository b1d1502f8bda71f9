/**
 * The permit checks in their order: shape → OSS → DJP KSWP → business rules. A failed shape stops
 * the pipeline (nothing else can be judged on an unknown type or a malformed payload); the other
 * steps all run, so the submitter sees every problem at once. An upstream outage is recorded as
 * `error` and surfaced once the pipeline ends (503/504 with Retry-After; nothing is stored).
 */
import { AppError, isAppError, type FieldError } from '../../../errors/app-error.ts'
import { businessRulesCheck } from './business-rules.ts'
import { djpCheck } from './djp.ts'
import { ossCheck } from './oss.ts'
import { shapeCheck } from './shape.ts'
import type { CheckResult, PermitCheck, PermitCheckContext } from './types.ts'

export const PERMIT_CHECKS: readonly PermitCheck[] = [shapeCheck, ossCheck, djpCheck, businessRulesCheck]

const UPSTREAM_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_BAD_RESPONSE'])

export interface PermitPipelineOutcome {
  results: CheckResult[]
  /** The first upstream failure, when a step could not be decided. */
  upstreamError?: AppError
  /** Every step passed or was skipped for a reason that is not a failure. */
  passed: boolean
}

export async function runPermitChecks(context: PermitCheckContext, checks: readonly PermitCheck[] = PERMIT_CHECKS): Promise<PermitPipelineOutcome> {
  let upstreamError: AppError | undefined
  for (const check of checks) {
    if (context.results[0]?.step === 'shape' && context.results[0].status === 'failed') {
      context.results.push({ step: check.name, status: 'skipped', reason: { en: 'Not run: the application is invalid.', id: 'Tidak dijalankan: permohonan tidak valid.' }, errors: [] })
      continue
    }
    try {
      context.results.push({ step: check.name, ...(await check.run(context)) })
      context.endedAt = { ...context.endedAt, [check.name]: new Date() }
    } catch (error) {
      if (!isAppError(error) || !UPSTREAM_CODES.has(error.code)) throw error
      upstreamError ??= error
      context.results.push({
        step: check.name,
        status: 'error',
        reason: { en: 'The upstream system could not answer; try again later.', id: 'Sistem hulu tidak dapat merespons; coba lagi nanti.' },
        errors: [],
      })
    }
  }
  return { results: context.results, upstreamError, passed: context.results.every((result) => result.status === 'passed' || result.status === 'skipped') }
}

/**
 * The 422 of a failed pipeline: one field error per finding, its `reason` naming the check and
 * the finding (`oss.business_type_mismatch`), the detail naming the failed checks.
 */
export function checksFailed(results: CheckResult[], language: 'en' | 'id'): AppError {
  const failedSteps = results.filter((result) => result.status === 'failed')
  const errors: FieldError[] = failedSteps.flatMap((result) =>
    result.errors.map((error) => ({ pointer: error.pointer, in: 'body' as const, detail: error.detail[language], reason: `${result.step}.${error.reason}` })),
  )
  const names = failedSteps.map((result) => result.step).join(', ')
  return new AppError('VALIDATION_FAILED', {
    detail: { en: `The application failed the check(s): ${names}.`, id: `Permohonan tidak lolos pemeriksaan: ${names}.` },
    errors: errors.slice(0, 20),
  })
}
