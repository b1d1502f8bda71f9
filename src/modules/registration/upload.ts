/**
 * Reads the registration's multipart body: the part `form` (JSON text) and the part
 * `powerOfAttorney` (a PDF, at most 1 MB, checked by content). Anything else is refused, and
 * multipart's own limits become problem responses (413 too large, 415 not multipart / not a PDF).
 */
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../errors/app-error.ts'
import { jsonComplexityProblem, tooComplex } from '../../http/json-body.ts'
import { inspectPdf } from './pdf.ts'

export const MAX_DOCUMENT_BYTES = 1024 * 1024
const MAX_FORM_BYTES = 64 * 1024

export interface ParsedSubmission {
  form: unknown
  upload?: { content: Buffer; fileName: string | null }
}

const tooLarge = () =>
  new AppError('PAYLOAD_TOO_LARGE', {
    detail: { en: 'The power of attorney must be at most 1 MB (and the form at most 64 KB).', id: 'Surat kuasa maksimal 1 MB (dan formulir maksimal 64 KB).' },
    errors: [{ pointer: '/powerOfAttorney', in: 'body', detail: 'larger than 1 MB', reason: 'max_size' }],
  })

const unexpectedPart = (name: string) =>
  new AppError('VALIDATION_FAILED', {
    detail: { en: `Unexpected part "${name}": send only "form" and "powerOfAttorney".`, id: `Bagian "${name}" tidak dikenal: kirim hanya "form" dan "powerOfAttorney".` },
    errors: [{ pointer: `/${name}`, in: 'body', detail: 'unexpected part', reason: 'additionalProperties' }],
  })

/** Whatever goes wrong while reading the parts is the client's body (cut short, no boundary, bad headers): a 400. */
function multipartError(error: unknown): unknown {
  if (error instanceof AppError) return error
  const code = (error as { code?: string }).code
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') return tooLarge()
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return notMultipart()
  return new AppError('BAD_REQUEST', { detail: { en: 'The multipart body could not be read.', id: 'Badan multipart tidak dapat dibaca.' }, cause: error })
}

export function notMultipart(): AppError {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', {
    detail: {
      en: 'Send multipart/form-data with a part "form" (the JSON form) and a part "powerOfAttorney" (the PDF).',
      id: 'Kirim multipart/form-data dengan bagian "form" (formulir JSON) dan bagian "powerOfAttorney" (PDF).',
    },
  })
}

export async function readSubmission(request: FastifyRequest): Promise<ParsedSubmission> {
  if (!request.isMultipart()) throw notMultipart()
  let formText: string | undefined
  let upload: ParsedSubmission['upload']
  try {
    const parts = request.parts({ limits: { fileSize: MAX_DOCUMENT_BYTES, files: 2, fields: 2, parts: 3, fieldSize: MAX_FORM_BYTES } })
    for await (const part of parts) {
      if (part.type === 'file' && part.fieldname === 'form') {
        // Clients that send the JSON part with its own Content-Type (curl -F 'form=@form.json;type=application/json',
        // fetch with a Blob) make it a "file" part: read it as the form.
        const text = await part.toBuffer()
        if (text.length > MAX_FORM_BYTES) throw tooLarge()
        formText = text.toString('utf8')
      } else if (part.type === 'file') {
        if (part.fieldname !== 'powerOfAttorney') {
          part.file.resume()
          throw unexpectedPart(part.fieldname)
        }
        const content = await part.toBuffer()
        // Swagger UI sends an empty file part when no file is chosen: that is "no upload".
        if (content.length > 0 || part.filename) upload = { content, fileName: part.filename ? part.filename.slice(0, 255) : null }
      } else {
        if (part.fieldname !== 'form') throw unexpectedPart(part.fieldname)
        if (part.valueTruncated) throw tooLarge()
        formText = String(part.value)
      }
    }
  } catch (error) {
    throw multipartError(error)
  }
  if (upload) {
    const verdict = inspectPdf(upload.content)
    if (!verdict.ok) {
      const error = { pointer: '/powerOfAttorney', in: 'body' as const, detail: verdict.detail, reason: verdict.problem }
      if (verdict.problem === 'not_pdf') {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
          detail: { en: 'The power of attorney must be a PDF (checked by its content, not its name).', id: 'Surat kuasa harus berupa PDF (diperiksa dari isinya, bukan namanya).' },
          errors: [error],
        })
      }
      throw new AppError('VALIDATION_FAILED', {
        detail: { en: 'The power of attorney is not a readable PDF (damaged or truncated?).', id: 'Surat kuasa bukan PDF yang dapat dibaca (rusak atau terpotong?).' },
        errors: [error],
      })
    }
  }
  if (formText === undefined) return { form: undefined, upload }
  const problem = jsonComplexityProblem(formText)
  if (problem) throw tooComplex(problem)
  try {
    return { form: JSON.parse(formText), upload }
  } catch (error) {
    throw new AppError('MALFORMED_JSON', { detail: { en: 'The part "form" is not valid JSON.', id: 'Bagian "form" bukan JSON yang valid.' }, cause: error })
  }
}
