/** The notification of a disabled endpoint, in both languages (the catalogue's texts are the permits'). */
import type { LocalisedText } from '../../db/tables/notifications.ts'

export function webhookDisabledTexts(values: { url: string; hours: number }): { title: LocalisedText; body: LocalisedText } {
  const host = new URL(values.url).host
  return {
    title: { en: `Webhook to ${host} disabled`, id: `Webhook ke ${host} dinonaktifkan` },
    body: {
      en: `Every delivery to ${host} failed for ${values.hours} hours, so the endpoint was disabled. Its messages are kept: fix the receiver, then enable the endpoint again to receive them in order.`,
      id: `Semua pengiriman ke ${host} gagal selama ${values.hours} jam, sehingga endpoint dinonaktifkan. Pesannya disimpan: perbaiki penerima, lalu aktifkan kembali endpoint untuk menerimanya secara berurutan.`,
    },
  }
}
