/**
 * Is this upload a PDF? Decided by content, never by name or declared type: the `%PDF-` magic
 * (else 415), then a structural check that a reader could open it (else 422): a version header,
 * an `%%EOF` marker at the end, and a `startxref` offset that points at a cross-reference table
 * (`xref`) or a cross-reference stream object (`N G obj`). Truncated and forged files fail here.
 * Nothing in the file is ever interpreted or executed.
 */
export type PdfVerdict = { ok: true } | { ok: false; problem: 'not_pdf' | 'unparseable'; detail: string }

const MAGIC = Buffer.from('%PDF-')
const TAIL_BYTES = 2048

export function inspectPdf(content: Buffer): PdfVerdict {
  if (content.length < MAGIC.length || !content.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { ok: false, problem: 'not_pdf', detail: 'the file is not a PDF (it does not start with %PDF-)' }
  }
  const unparseable = (detail: string): PdfVerdict => ({ ok: false, problem: 'unparseable', detail })
  if (!/^%PDF-(1\.[0-7]|2\.0)\s/.test(content.subarray(0, 16).toString('latin1'))) return unparseable('unknown PDF version header')
  const tail = content.subarray(Math.max(0, content.length - TAIL_BYTES)).toString('latin1')
  if (!/%%EOF\s*$/.test(tail)) return unparseable('no %%EOF marker at the end (truncated?)')
  const startxref = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail)
  if (!startxref) return unparseable('no startxref before %%EOF')
  const offset = Number(startxref[1])
  if (!Number.isSafeInteger(offset) || offset <= 0 || offset >= content.length) return unparseable('startxref points outside the file')
  const at = content.subarray(offset, offset + 64).toString('latin1')
  if (!/^\s*(xref\b|\d+\s+\d+\s+obj\b)/.test(at)) return unparseable('startxref does not point at a cross-reference section')
  return { ok: true }
}
