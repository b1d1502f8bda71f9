/** DJP KSWP: the organisation's NPWP (its record, else the one OSS holds) is valid and in good standing. */
import { cachedOrCall, failed, fieldError, passed, type PermitCheck } from './types.ts'

export const djpCheck: PermitCheck = {
  name: 'djp_kswp',
  async run(context) {
    const npwp = context.organisation.npwp ?? context.oss?.npwp ?? null
    if (!npwp) {
      return failed([fieldError('', 'organisation_without_npwp', 'the organisation has no NPWP on record; INATRADE applications need one', 'organisasi tidak memiliki NPWP; permohonan ke INATRADE memerlukan NPWP')])
    }
    const confirmation = await cachedOrCall(context, context.upstreams.djp.cached(npwp), () => context.upstreams.djp.confirmTaxpayer(npwp, context.upstreamContext))
    if (confirmation.status === 'NOT_FOUND') {
      return failed([fieldError('', 'npwp_not_found', 'DJP KSWP does not know the organisation\'s NPWP', 'NPWP organisasi tidak ditemukan di DJP (KSWP)')])
    }
    if (confirmation.status === 'INVALID') {
      // KSWP's own reason is the taxpayer's compliance detail: the organisation's own, so it is shown to it.
      const why = confirmation.reason ? `: ${confirmation.reason}` : ''
      return failed([fieldError('', 'npwp_invalid', `DJP KSWP reports the organisation is not in good standing${why}`, `DJP (KSWP) menyatakan status wajib pajak organisasi tidak valid${why}`)])
    }
    return passed()
  },
}
