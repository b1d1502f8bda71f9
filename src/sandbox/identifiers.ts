/**
 * Identifier shapes the stubs accept. The wire contract says identifiers travel as normalised
 * digits, so the stubs are strict on purpose: a formatted NPWP reaching a stub is an adapter bug
 * that a lenient stub would hide.
 */
export const NIB_PATTERN = '^\\d{13}$'
export const NPWP_PATTERN = '^(\\d{15}|\\d{16})$'
export const NIK_PATTERN = '^\\d{16}$'

const nib = new RegExp(NIB_PATTERN)
const npwp = new RegExp(NPWP_PATTERN)

export function isNib(value: string): boolean {
  return nib.test(value)
}

export function isNpwp(value: string): boolean {
  return npwp.test(value)
}
