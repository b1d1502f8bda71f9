/**
 * OSS: the organisation's NIB is active at OSS, and its business type there fits the permit type
 * (an import approval needs an importer). The NIB is the organisation's record, never the caller's
 * input, so errors point at the document root or `/permitType`.
 */
import { cachedOrCall, failed, fieldError, passed, skipped, type CheckFieldError, type PermitCheck } from './types.ts'

export const ossCheck: PermitCheck = {
  name: 'oss',
  async run(context) {
    const { nib } = context.organisation
    if (!nib) {
      return failed([fieldError('', 'organisation_without_nib', 'the organisation has no NIB: INATRADE applications need one (register the NIB at OSS, then ask an operator to re-sync)', 'organisasi belum memiliki NIB: permohonan ke INATRADE memerlukan NIB (daftarkan NIB di OSS, lalu minta operator menyinkronkan ulang)')])
    }
    const lookup = await cachedOrCall(context, context.upstreams.oss.cached(nib), () => context.upstreams.oss.getBusiness(nib, context.upstreamContext))
    if (!lookup.found) {
      return failed([fieldError('', 'nib_not_active', 'OSS no longer knows the organisation\'s NIB; resolve it at OSS first', 'NIB organisasi tidak lagi terdaftar di OSS; selesaikan di OSS terlebih dahulu')])
    }
    context.oss = lookup.business
    const type = context.type
    if (!type) return skipped('No permit type to compare the business type with.', 'Tidak ada jenis izin untuk dibandingkan dengan jenis usaha.')
    const errors: CheckFieldError[] = []
    if (!lookup.business.businessTypes.includes(type.businessType)) {
      errors.push(
        fieldError(
          '/permitType',
          'business_type_mismatch',
          `${type.code} needs the OSS business type ${type.businessType}; OSS lists ${lookup.business.businessTypes.join(', ') || 'none'} for the organisation`,
          `${type.code} memerlukan jenis usaha ${type.businessType} di OSS; OSS mencatat ${lookup.business.businessTypes.join(', ') || 'tidak ada'} untuk organisasi ini`,
        ),
      )
    }
    return errors.length ? failed(errors) : passed()
  },
}
