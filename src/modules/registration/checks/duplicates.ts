/** Duplicates: the NIB (or, without one, the NPWP) is not already an organisation or pending. */
import { failed, fieldError, passed, skipped, type Check } from './types.ts'

export const duplicatesCheck: Check = {
  name: 'duplicates',
  async run(context) {
    const { nib, npwp } = context.normalised
    const key = nib ? { column: 'nib' as const, value: nib, pointer: '/form/nib' } : npwp ? { column: 'npwp' as const, value: npwp, pointer: '/form/npwp' } : undefined
    if (!key) return skipped('Neither NIB nor NPWP to compare.', 'Tidak ada NIB atau NPWP untuk dibandingkan.')
    let organisations = context.db.selectFrom('organisations').select('id').where(key.column, '=', key.value)
    if (key.column === 'npwp') organisations = organisations.where('nib', 'is', null)
    if (await organisations.executeTakeFirst()) {
      return failed([fieldError(key.pointer, 'already_registered', 'an organisation with this identifier already has INSW access; ask its super admin for an account', 'organisasi dengan nomor ini sudah memiliki akses INSW; mintalah akun kepada super admin organisasi tersebut')])
    }
    let pending = context.db.selectFrom('registrations').select('id').where('status', '=', 'pending_review').where(key.column, '=', key.value)
    if (key.column === 'npwp') pending = pending.where('nib', 'is', null)
    if (await pending.executeTakeFirst()) {
      return failed([fieldError(key.pointer, 'registration_pending', 'a registration for this identifier is already waiting for review', 'pendaftaran untuk nomor ini sedang menunggu pemeriksaan')])
    }
    return passed()
  },
}
