/**
 * Shape: identifier formats and the fields each trader type requires (Permendag 20/2021 art. 6:
 * individuals NPWP or NIK; BUMN/BUMD and foundations NPWP; business entities NIB and NPWP).
 * The JSON schema has already checked types and enums; this step checks what depends on values.
 */
import type { RegistrationForm } from '../schemas.ts'
import { failed, fieldError, passed, type Check, type CheckFieldError } from './types.ts'

type TraderType = RegistrationForm['traderType']

/** What each trader type must supply. `npwpOrNik`: an NPWP, or failing that the applicant's NIK. */
export const TRADER_REQUIREMENTS: Record<TraderType, { nib: boolean; npwp: 'required' | 'npwpOrNik' | 'optional' }> = {
  company: { nib: true, npwp: 'required' },
  individual_business: { nib: true, npwp: 'npwpOrNik' },
  government_enterprise: { nib: false, npwp: 'required' },
  individual: { nib: false, npwp: 'npwpOrNik' },
  foundation: { nib: false, npwp: 'required' },
  foreign_embassy: { nib: false, npwp: 'optional' },
  ministry_agency: { nib: false, npwp: 'optional' },
}

/** Separators people write in identifiers; anything else stays and fails the digit check. */
export function digitsOf(value: string): string {
  return value.replace(/[\s.-]/g, '')
}

const MOBILE = /^(?:\+62|62|0)(8[1-9][0-9]{6,11})$/

/** +628…, or undefined when it is not an Indonesian mobile number. */
export function normaliseMobile(value: string): string | undefined {
  const match = MOBILE.exec(value.replace(/[\s()-]/g, ''))
  return match ? `+62${match[1]}` : undefined
}

export function shapeErrors(form: RegistrationForm): CheckFieldError[] {
  const errors: CheckFieldError[] = []
  const rules = TRADER_REQUIREMENTS[form.traderType]
  const nib = form.nib === undefined ? undefined : digitsOf(form.nib)
  const npwp = form.npwp === undefined ? undefined : digitsOf(form.npwp)

  if (form.nibKind === 'none') {
    if (rules.nib) errors.push(fieldError('/form/nibKind', 'nib_required', `trader type ${form.traderType} must register with an NIB`, `jenis trader ${form.traderType} wajib mendaftar dengan NIB`))
    if (form.nib !== undefined) errors.push(fieldError('/form/nib', 'nib_not_expected', 'must be omitted with nibKind "none"', 'harus dikosongkan bila jenis NIB "none" (tanpa NIB)'))
  } else if (nib === undefined) {
    errors.push(fieldError('/form/nib', 'required', 'is required unless nibKind is "none"', 'wajib diisi kecuali jenis NIB "none" (tanpa NIB)'))
  } else if (!/^[0-9]{13}$/.test(nib)) {
    errors.push(fieldError('/form/nib', 'nib_format', 'must be 13 digits', 'harus 13 digit angka'))
  }

  const usesNik = form.applicant.identityType === 'nik'
  if (form.npwpKind === 'none') {
    if (form.npwp !== undefined) errors.push(fieldError('/form/npwp', 'npwp_not_expected', 'must be omitted with npwpKind "none"', 'harus dikosongkan bila jenis NPWP "none" (tanpa NPWP)'))
    if (rules.npwp === 'required') {
      errors.push(fieldError('/form/npwpKind', 'npwp_required', `trader type ${form.traderType} must register with an NPWP`, `jenis trader ${form.traderType} wajib mendaftar dengan NPWP`))
    } else if (rules.npwp === 'npwpOrNik' && !usesNik) {
      errors.push(fieldError('/form/npwpKind', 'npwp_or_nik_required', 'an NPWP is required when the applicant is not identified by NIK', 'NPWP wajib diisi bila pemohon tidak menggunakan NIK'))
    }
  } else if (npwp === undefined) {
    errors.push(fieldError('/form/npwp', 'required', 'is required unless npwpKind is "none"', 'wajib diisi kecuali jenis NPWP "none" (tanpa NPWP)'))
  } else if (!/^[0-9]{15,16}$/.test(npwp)) {
    errors.push(fieldError('/form/npwp', 'npwp_format', 'must be 15 digits (99.999.999.9-999.999) or 16 digits', 'harus 15 digit (99.999.999.9-999.999) atau 16 digit'))
  }

  const identity = form.applicant.identityNumber
  if (usesNik) {
    if (!/^[0-9]{16}$/.test(digitsOf(identity))) errors.push(fieldError('/form/applicant/identityNumber', 'nik_format', 'a NIK is 16 digits', 'NIK harus 16 digit angka'))
  } else if (!/^[A-Z0-9]{6,9}$/.test(identity.trim().toUpperCase())) {
    errors.push(fieldError('/form/applicant/identityNumber', 'passport_format', 'a passport number is 6 to 9 letters and digits', 'nomor paspor terdiri dari 6 sampai 9 huruf dan angka'))
  }
  // OSS identifies persons in charge by NIK only, so an NIB applicant must give theirs.
  if (form.nibKind !== 'none' && !usesNik) {
    errors.push(fieldError('/form/applicant/identityType', 'nik_required_with_nib', 'with an NIB the applicant must be identified by the NIK registered in OSS', 'dengan NIB, pemohon wajib menggunakan NIK yang terdaftar di OSS'))
  }

  if (!normaliseMobile(form.contact.mobile)) {
    errors.push(fieldError('/form/contact/mobile', 'mobile_format', 'must be an Indonesian mobile number (08…, 628… or +628…)', 'harus nomor telepon genggam Indonesia (08…, 628… atau +628…)'))
  }
  return errors
}

export const shapeCheck: Check = {
  name: 'shape',
  async run(context) {
    const errors = shapeErrors(context.form)
    return errors.length ? failed(errors, { en: 'The form has invalid or missing fields.', id: 'Formulir memuat isian yang tidak valid atau belum diisi.' }) : passed()
  },
}
