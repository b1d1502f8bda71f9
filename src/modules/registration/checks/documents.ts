/**
 * Documents: the power of attorney is optional when OSS confirmed the applicant as a person in
 * charge and DJP KSWP confirmed the NPWP (or none was given), since the data is then available
 * electronically (Permendag 20/2021 art. 6); otherwise it must be uploaded.
 */
import { failed, fieldError, passed, resultOf, type Check } from './types.ts'

export const documentsCheck: Check = {
  name: 'documents',
  async run(context) {
    if (context.upload) return passed()
    const oss = resultOf(context, 'oss')?.status
    const djp = resultOf(context, 'djp')?.status
    const confirmedElectronically = oss === 'passed' && (djp === 'passed' || djp === 'skipped')
    if (confirmedElectronically) return { status: 'passed', reason: { en: 'Not required: OSS and DJP KSWP confirmed the data.', id: 'Tidak wajib: data telah terkonfirmasi OSS dan DJP (KSWP).' }, errors: [] }
    return failed([
      fieldError(
        '/powerOfAttorney',
        'power_of_attorney_required',
        'upload the power of attorney (PDF, at most 1 MB): OSS and DJP KSWP could not confirm the organisation and applicant',
        'unggah surat kuasa (PDF, maks. 1 MB): data organisasi dan pemohon tidak dapat dikonfirmasi OSS dan DJP (KSWP)',
      ),
    ])
  },
}
