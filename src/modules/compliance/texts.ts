/** What compliance events say to people, in both languages. */
import type { LocalisedText } from '../../db/tables/notifications.ts'

type Texts = { title: LocalisedText; body: LocalisedText }

export function dueSoonTexts(v: { period: string; reference: string; dueDate: string }): Texts {
  return {
    title: { en: `Realisation report for ${v.period} due ${v.dueDate}`, id: `Laporan realisasi ${v.period} jatuh tempo ${v.dueDate}` },
    body: {
      en: `Permit ${v.reference} owes its realisation report for ${v.period} by ${v.dueDate} (Asia/Jakarta). Late reports lead to an electronic warning, then sanctions.`,
      id: `Izin ${v.reference} wajib menyampaikan laporan realisasi ${v.period} paling lambat ${v.dueDate} (WIB). Keterlambatan berujung peringatan elektronik, lalu sanksi.`,
    },
  }
}

export function sanctionAppliedTexts(v: { name: LocalisedText; reason: string; blocks: boolean }): Texts {
  const blocks = v.blocks
    ? { en: ' New permit applications are refused until it is lifted: submit the overdue reports, then ask the INSW contact centre to lift it.', id: ' Permohonan izin baru ditolak sampai sanksi dicabut: sampaikan laporan yang terlambat, lalu minta pusat kontak INSW mencabutnya.' }
    : { en: ' Submit the overdue report to stop further steps.', id: ' Sampaikan laporan yang terlambat untuk menghentikan langkah berikutnya.' }
  return {
    title: { en: `Sanction: ${v.name.en}`, id: `Sanksi: ${v.name.id}` },
    body: { en: `${v.reason}${blocks.en}`, id: `${v.reason}${blocks.id}` },
  }
}

export function sanctionEndedTexts(v: { name: LocalisedText; how: 'lifted' | 'waived' | 'expired'; reason: string | null }): Texts {
  const how = { lifted: { en: 'lifted', id: 'dicabut' }, waived: { en: 'waived', id: 'dibatalkan' }, expired: { en: 'over', id: 'berakhir' } }[v.how]
  return {
    title: { en: `Sanction ${how.en}: ${v.name.en}`, id: `Sanksi ${how.id}: ${v.name.id}` },
    body: { en: v.reason ?? 'Its term ended.', id: v.reason ?? 'Masa berlakunya berakhir.' },
  }
}
