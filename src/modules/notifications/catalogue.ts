/**
 * The event catalogue: every event type a notification or a webhook carries, with its menu (who
 * reads it), its texts in both languages and its payload. The contract's `webhooks` section is
 * generated from it, so an integrator reads the same list the gateway sends.
 */
import { PERMIT_STATUSES } from '../permits/status.ts'
import type { LocalisedText } from '../../db/tables/notifications.ts'

/** Every status change is news to the holder. */
export const PERMIT_STATUSES_NOTIFIED = PERMIT_STATUSES

export type PermitEventType = `permit.${(typeof PERMIT_STATUSES_NOTIFIED)[number]}`

export const PERMIT_EVENT_TYPES = PERMIT_STATUSES_NOTIFIED.map((status) => `permit.${status}` as PermitEventType)

/** Compliance: a deadline near, a sanction applied (the first step is the electronic warning), a sanction ended (lifted, waived, expired). */
export const COMPLIANCE_EVENT_TYPES = ['obligation.due_soon', 'sanction.applied', 'sanction.ended'] as const

export type ComplianceEventType = (typeof COMPLIANCE_EVENT_TYPES)[number]

export const EVENT_TYPES = [...PERMIT_EVENT_TYPES, 'webhook.disabled', ...COMPLIANCE_EVENT_TYPES] as const

export type EventType = (typeof EVENT_TYPES)[number]

/**
 * What the feed shows: every webhook event, and the approval of the organisation's registration
 * (its first notification; no webhook can exist before it, and a rejected registration has no
 * organisation to notify: the applicant is told by email).
 */
export const NOTIFICATION_TYPES = [...EVENT_TYPES, 'registration.approved'] as const

/** The welcome in the new organisation's feed. */
export function registrationApprovedTexts(values: { trackingNumber: string; organisation: string; username: string }): { title: LocalisedText; body: LocalisedText } {
  return {
    title: { en: `Registration ${values.trackingNumber} approved`, id: `Pendaftaran ${values.trackingNumber} disetujui` },
    body: {
      en: `${values.organisation} is registered with INSW and ${values.username} is its super admin. Build your team under User Management and connect your systems in the API Catalogue.`,
      id: `${values.organisation} terdaftar di INSW dan ${values.username} adalah super admin-nya. Susun tim Anda di Manajemen Pengguna dan hubungkan sistem Anda di Katalog API.`,
    },
  }
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value)
}

/** What each permit status means to the holder, in both languages (`{ref}`: the reference number). */
const PERMIT_TEXTS: Record<(typeof PERMIT_STATUSES_NOTIFIED)[number], { title: LocalisedText; body: LocalisedText }> = {
  submitted: {
    title: { en: 'Application {ref} received by INSW', id: 'Permohonan {ref} diterima INSW' },
    body: { en: 'The application passed the OSS, DJP KSWP and business-rule checks and is queued for INATRADE.', id: 'Permohonan lolos pemeriksaan OSS, DJP KSWP dan aturan bisnis, dan diantrekan ke INATRADE.' },
  },
  forwarded: {
    title: { en: 'Application {ref} sent to INATRADE', id: 'Permohonan {ref} dikirim ke INATRADE' },
    body: { en: 'INSW forwarded the application to INATRADE.', id: 'INSW meneruskan permohonan ke INATRADE.' },
  },
  received: {
    title: { en: 'INATRADE received application {ref}', id: 'INATRADE menerima permohonan {ref}' },
    body: { en: 'INATRADE acknowledged the application; an officer will check it.', id: 'INATRADE mengonfirmasi permohonan; petugas akan memeriksanya.' },
  },
  under_review: {
    title: { en: 'Application {ref} under review', id: 'Permohonan {ref} sedang diperiksa' },
    body: { en: 'An INATRADE officer is reviewing the application.', id: 'Petugas INATRADE sedang memeriksa permohonan.' },
  },
  approved: {
    title: { en: 'Application {ref} approved', id: 'Permohonan {ref} disetujui' },
    body: { en: 'INATRADE approved the application; the licence is being issued.', id: 'INATRADE menyetujui permohonan; izin sedang diterbitkan.' },
  },
  issued: {
    title: { en: 'Licence issued for {ref}', id: 'Izin untuk {ref} telah terbit' },
    body: { en: 'The licence document is ready to download.', id: 'Dokumen izin siap diunduh.' },
  },
  rejected: {
    title: { en: 'Application {ref} rejected', id: 'Permohonan {ref} ditolak' },
    body: { en: 'INATRADE rejected the application. Reason: {reason}', id: 'INATRADE menolak permohonan. Alasan: {reason}' },
  },
  cancelled: {
    title: { en: 'Application {ref} cancelled', id: 'Permohonan {ref} dibatalkan' },
    body: { en: 'The application was cancelled before a decision.', id: 'Permohonan dibatalkan sebelum diputuskan.' },
  },
  forwarding_failed: {
    title: { en: 'Application {ref} could not be sent to INATRADE', id: 'Permohonan {ref} gagal dikirim ke INATRADE' },
    body: { en: 'INSW gave up sending the application after repeated failures; the contact centre can retry it.', id: 'INSW berhenti mengirim permohonan setelah gagal berulang kali; pusat kontak dapat mengulanginya.' },
  },
}

function fill(text: LocalisedText, values: Record<string, string>): LocalisedText {
  const apply = (template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '-')
  return { en: apply(text.en), id: apply(text.id) }
}

export function permitTexts(status: (typeof PERMIT_STATUSES_NOTIFIED)[number], values: { ref: string; reason?: string | null }) {
  const texts = PERMIT_TEXTS[status]
  const filled = { ref: values.ref, reason: values.reason ?? '-' }
  return { title: fill(texts.title, filled), body: fill(texts.body, filled) }
}

export function isNotifiedStatus(status: string | null): status is (typeof PERMIT_STATUSES_NOTIFIED)[number] {
  return status !== null && (PERMIT_STATUSES_NOTIFIED as readonly string[]).includes(status)
}
