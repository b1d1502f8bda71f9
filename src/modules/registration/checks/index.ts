/**
 * The registration checks in their order: shape → OSS → DJP KSWP → documents → duplicates.
 * A failed shape stops the pipeline (nothing else can be checked on a malformed form); the other
 * steps all run, so the registrant sees every problem at once. An upstream outage is recorded as
 * `error` and re-thrown once the pipeline ends (503/504 with Retry-After: the form may be resent).
 */
import { isAppError, type AppError } from '../../../errors/app-error.ts'
import { djpCheck } from './djp.ts'
import { documentsCheck } from './documents.ts'
import { duplicatesCheck } from './duplicates.ts'
import { ossCheck } from './oss.ts'
import { shapeCheck } from './shape.ts'
import type { Check, CheckContext, CheckResult } from './types.ts'

export const REGISTRATION_CHECKS: readonly Check[] = [shapeCheck, ossCheck, djpCheck, documentsCheck, duplicatesCheck]

export interface PipelineOutcome {
  results: CheckResult[]
  /** The first upstream failure, when a step could not be decided. */
  upstreamError?: AppError
}

export async function runChecks(context: CheckContext, checks: readonly Check[] = REGISTRATION_CHECKS): Promise<PipelineOutcome> {
  let upstreamError: AppError | undefined
  for (const check of checks) {
    const shapeFailed = context.results[0]?.step === 'shape' && context.results[0].status === 'failed'
    if (shapeFailed) {
      context.results.push({ step: check.name, status: 'skipped', reason: { en: 'Not run: the form is invalid.', id: 'Tidak dijalankan: formulir tidak valid.' }, errors: [] })
      continue
    }
    try {
      context.results.push({ step: check.name, ...(await check.run(context)) })
    } catch (error) {
      if (!isAppError(error) || !['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_BAD_RESPONSE'].includes(error.code)) throw error
      upstreamError ??= error
      context.results.push({
        step: check.name,
        status: 'error',
        reason: { en: 'The upstream system could not answer; try again later.', id: 'Sistem hulu tidak dapat merespons; coba lagi nanti.' },
        errors: [],
      })
    }
  }
  return { results: context.results, upstreamError }
}
