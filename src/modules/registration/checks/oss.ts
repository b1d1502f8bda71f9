/** OSS: the NIB exists, and the applicant (NIK and name) is a person in charge of it. */
import { failed, fieldError, passed, skipped, type Check } from './types.ts'

/** Names compared without case, punctuation or repeated spaces ("BUDI  SANTOSO," = "Budi Santoso"). */
export function sameName(a: string, b: string): boolean {
  const simple = (value: string) => value.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
  return simple(a) === simple(b)
}

/** The 16-digit NPWP of a business is its 15-digit one with a leading zero. */
export function sameNpwp(a: string, b: string): boolean {
  return a === b || `0${a}` === b || a === `0${b}`
}

export const ossCheck: Check = {
  name: 'oss',
  async run(context) {
    const { nib, npwp, identityNumber } = context.normalised
    if (!nib) return skipped('Registered without an NIB.', 'Mendaftar tanpa NIB.')
    const lookup = await context.upstreams.oss.getBusiness(nib, context.upstreamContext)
    if (!lookup.found) {
      return failed([fieldError('/form/nib', 'oss_nib_not_found', 'OSS does not know this NIB; check it, or register it at OSS first', 'NIB tidak terdaftar di OSS; periksa kembali, atau daftarkan di OSS terlebih dahulu')])
    }
    context.oss = lookup.business
    const errors = []
    const person = lookup.business.personsInCharge.find((candidate) => candidate.nik === identityNumber)
    if (!person) {
      errors.push(
        fieldError(
          '/form/applicant/identityNumber',
          'oss_not_person_in_charge',
          'this NIK is not a person in charge of the NIB in OSS; correct the data in OSS first',
          'NIK ini tidak terdaftar sebagai penanggung jawab NIB di OSS; perbaiki data di OSS terlebih dahulu',
        ),
      )
    } else if (!sameName(person.name, context.form.applicant.fullName)) {
      errors.push(
        fieldError('/form/applicant/fullName', 'oss_name_mismatch', 'does not match the name of this person in charge in OSS', 'tidak sesuai dengan nama penanggung jawab di OSS'),
      )
    }
    if (npwp && lookup.business.npwp && !sameNpwp(npwp, lookup.business.npwp)) {
      errors.push(fieldError('/form/npwp', 'oss_npwp_mismatch', 'is not the NPWP OSS holds for this NIB', 'tidak sesuai dengan NPWP yang tercatat di OSS untuk NIB ini'))
    }
    return errors.length ? failed(errors) : passed()
  },
}
