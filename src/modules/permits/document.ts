/**
 * The issued licence document: built ONCE when INATRADE's approval arrives (as JSON and as PDF),
 * stored in permit_documents, and from then on served as those stored bytes, so every download
 * is identical and its ETag (sha256 of the PDF) never changes.
 */
import { createHash } from 'node:crypto'
import type { Selectable, Transaction } from 'kysely'
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib'
import type { Database } from '../../db/schema.ts'
import type { PermitLicence, PermitsTable } from '../../db/tables/permits.ts'

type PermitRow = Selectable<PermitsTable>

export interface LicenceLine {
  hsCode: string
  description: string
  quantity: number | null
  unit: string | null
  value: number | null
  currency: string | null
  country: string | null
}

/** The licence as JSON (`Accept: application/json`); also what the PDF shows. */
export interface LicenceDocument {
  licenceNumber: string
  permitId: string
  referenceNumber: string
  inatradeId: string | null
  permitType: { code: string; name: string }
  holder: { name: string; nib: string }
  issuedAt: string
  validFrom: string
  validUntil: string
  lines: LicenceLine[]
  portOfDischarge: string | null
  verificationUrl: string
  issuer: string
}

export interface StoredLicence {
  licenceNumber: string
  pdf: Uint8Array
  json: LicenceDocument
  sha256: string
}

export interface LicenceOptions {
  /** The gateway's public URL: the document's verification link points at it. */
  publicUrl: string
  /** The permit type's display name; the code when unknown. */
  permitTypeName?: (code: string) => string | undefined
  /** What an issued licence starts, in the transaction that issues it (the reporting obligations). */
  onIssued?: (trx: Transaction<Database>, permit: { id: string; organisation_id: string; surveyor_organisation_id: string | null; permit_type: string; licence: PermitLicence | null }) => Promise<void>
}

/** Lines of the application payload (`payload.lines`), read defensively: the payload is the type's business. */
function licenceLines(payload: Record<string, unknown>): LicenceLine[] {
  const lines = Array.isArray(payload.lines) ? payload.lines : []
  return lines
    .filter((line): line is Record<string, unknown> => typeof line === 'object' && line !== null)
    .map((line) => ({
      hsCode: typeof line.hsCode === 'string' ? line.hsCode.replaceAll('.', '') : '',
      description: typeof line.description === 'string' ? line.description : '',
      quantity: typeof line.quantity === 'number' ? line.quantity : null,
      unit: typeof line.unit === 'string' ? line.unit : null,
      value: typeof line.value === 'number' ? line.value : null,
      currency: typeof line.currency === 'string' ? line.currency : null,
      country: typeof line.originCountry === 'string' ? line.originCountry : typeof line.destinationCountry === 'string' ? line.destinationCountry : null,
    }))
}

export function verificationUrl(publicUrl: string, permitId: string): string {
  return new URL(`/v1/permits/${permitId}/document`, publicUrl).toString()
}

export function licenceDocument(permit: PermitRow, options: LicenceOptions): LicenceDocument {
  if (!permit.licence) throw new Error(`permit ${permit.id} has no licence to render`)
  return {
    licenceNumber: permit.licence.number,
    permitId: permit.id,
    referenceNumber: permit.reference_number,
    inatradeId: permit.inatrade_id,
    permitType: { code: permit.permit_type, name: options.permitTypeName?.(permit.permit_type) ?? permit.permit_type },
    // Name and NIB only: the holder's NPWP is personal data and not needed to verify a licence.
    holder: { name: permit.applicant.name, nib: permit.applicant.nib },
    issuedAt: permit.licence.issuedAt,
    validFrom: permit.licence.issuedAt,
    validUntil: permit.licence.validUntil,
    lines: licenceLines(permit.payload),
    portOfDischarge: typeof permit.payload.portOfDischarge === 'string' ? permit.payload.portOfDischarge : null,
    verificationUrl: verificationUrl(options.publicUrl, permit.id),
    issuer: 'Kementerian Perdagangan Republik Indonesia (INATRADE), via INSW',
  }
}

const A4: [number, number] = [595.28, 841.89]
const MARGIN = 50

/** pdf-lib's standard fonts speak WinAnsi only: anything else becomes '?', never a thrown error. */
function printable(text: string): string {
  return text.normalize('NFKD').replaceAll(/[\u0300-\u036f]/g, '').replaceAll(/[^\x20-\x7e]/g, '?')
}

class Writer {
  #page: PDFPage
  #y: number
  readonly #doc: PDFDocument
  readonly #font: PDFFont
  readonly #bold: PDFFont

  constructor(doc: PDFDocument, font: PDFFont, bold: PDFFont) {
    this.#doc = doc
    this.#font = font
    this.#bold = bold
    this.#page = doc.addPage(A4)
    this.#y = A4[1] - MARGIN
  }

  line(text: string, options: { size?: number; bold?: boolean; gap?: number } = {}): void {
    const size = options.size ?? 10
    if (this.#y - size < MARGIN) {
      this.#page = this.#doc.addPage(A4)
      this.#y = A4[1] - MARGIN
    }
    // Long descriptions are cut rather than run off the page.
    const font = options.bold ? this.#bold : this.#font
    let shown = printable(text)
    while (shown.length > 3 && font.widthOfTextAtSize(shown, size) > A4[0] - 2 * MARGIN) shown = `${shown.slice(0, -4)}...`
    this.#page.drawText(shown, { x: MARGIN, y: this.#y - size, size, font, color: rgb(0, 0, 0) })
    this.#y -= size + (options.gap ?? 4)
  }

  space(points: number): void {
    this.#y -= points
  }
}

export async function renderLicencePdf(licence: LicenceDocument): Promise<Uint8Array> {
  const doc = await PDFDocument.create()
  // Fixed metadata: the bytes depend on the licence, not on when or where they were rendered.
  const issued = new Date(licence.issuedAt)
  doc.setTitle(`Licence ${licence.licenceNumber}`)
  doc.setSubject(`${licence.permitType.name} for ${licence.holder.name}`)
  doc.setProducer('INSW Gateway')
  doc.setCreator('INSW Gateway')
  doc.setCreationDate(issued)
  doc.setModificationDate(issued)
  const writer = new Writer(doc, await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.HelveticaBold))

  writer.line('INDONESIA NATIONAL SINGLE WINDOW', { size: 9, bold: true })
  writer.line(licence.issuer, { size: 9, gap: 16 })
  writer.line(licence.permitType.name, { size: 16, bold: true, gap: 8 })
  writer.line(`Licence number: ${licence.licenceNumber}`, { size: 12, bold: true, gap: 14 })
  writer.line(`Holder: ${licence.holder.name}`)
  writer.line(`NIB: ${licence.holder.nib}`)
  writer.line(`Permit type: ${licence.permitType.code}`)
  writer.line(`Gateway reference: ${licence.referenceNumber}`)
  if (licence.inatradeId) writer.line(`INATRADE application: ${licence.inatradeId}`)
  writer.line(`Valid from: ${licence.validFrom.slice(0, 10)}   Valid until: ${licence.validUntil.slice(0, 10)}`)
  if (licence.portOfDischarge) writer.line(`Port: ${licence.portOfDischarge}`)
  writer.space(10)
  writer.line('Commodities', { size: 12, bold: true, gap: 6 })
  if (licence.lines.length === 0) writer.line('(none listed)')
  licence.lines.forEach((line, index) => {
    writer.line(`${index + 1}. HS ${line.hsCode}  ${line.description}`, { bold: true, gap: 2 })
    const amount = [line.quantity ?? '', line.unit ?? ''].join(' ').trim()
    const value = [line.value ?? '', line.currency ?? ''].join(' ').trim()
    writer.line(`   Quantity: ${amount || '-'}   Value: ${value || '-'}   Country: ${line.country ?? '-'}`, { gap: 6 })
  })
  writer.space(16)
  writer.line('Verify this licence at:', { size: 9 })
  writer.line(licence.verificationUrl, { size: 9 })
  return doc.save({ useObjectStreams: true })
}

/** Builds the document of an approved permit and stores it; an existing one is kept (generated once). */
export async function storeLicenceDocument(trx: Transaction<Database>, permit: PermitRow, options: LicenceOptions): Promise<StoredLicence> {
  const existing = await trx.selectFrom('permit_documents').selectAll().where('permit_id', '=', permit.id).executeTakeFirst()
  if (existing) return { licenceNumber: existing.licence_number, pdf: existing.pdf, json: existing.json as unknown as LicenceDocument, sha256: existing.sha256 }
  const json = licenceDocument(permit, options)
  const pdf = await renderLicencePdf(json)
  const sha256 = createHash('sha256').update(pdf).digest('hex')
  await trx
    .insertInto('permit_documents')
    .values({ permit_id: permit.id, licence_number: json.licenceNumber, pdf, json: JSON.stringify(json), sha256 })
    .execute()
  return { licenceNumber: json.licenceNumber, pdf, json, sha256 }
}
