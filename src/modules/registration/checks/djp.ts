/** DJP KSWP: the NPWP is known and the taxpayer in good standing. */
import { failed, fieldError, passed, skipped, type Check } from './types.ts'

export const djpCheck: Check = {
  name: 'djp',
  async run(context) {
    const { npwp } = context.normalised
    if (!npwp) return skipped('Registered without an NPWP.', 'Mendaftar tanpa NPWP.')
    const confirmation = await context.upstreams.djp.confirmTaxpayer(npwp, context.upstreamContext)
    context.djp = confirmation
    if (confirmation.status === 'NOT_FOUND') {
      return failed([fieldError('/form/npwp', 'djp_npwp_not_found', 'DJP KSWP does not know this NPWP', 'NPWP tidak ditemukan di DJP (KSWP)')])
    }
    if (confirmation.status === 'INVALID') {
      // KSWP's own words (a taxpayer's compliance reason) go to the step's reason, which only
      // operators read; even the field error stays with operators.
      const why = confirmation.reason ? `: ${confirmation.reason}` : ''
      return failed([fieldError('/form/npwp', 'djp_npwp_invalid', 'DJP KSWP reports the taxpayer is not in good standing', 'DJP (KSWP) menyatakan status wajib pajak tidak valid')], {
        en: `DJP KSWP reports the taxpayer is not in good standing${why}`,
        id: `DJP (KSWP) menyatakan status wajib pajak tidak valid${why}`,
      })
    }
    return passed()
  },
}
