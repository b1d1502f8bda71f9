/**
 * Shape: the permit type exists, the payload is valid against the type's JSON Schema, and the
 * documents the type requires are listed. The route's schema already checked the envelope.
 */
import { failed, fieldError, passed, type PermitCheck, type CheckFieldError } from './types.ts'

/** At most this many payload problems are reported: enough to fix a form, small enough to answer fast. */
const MAX_PAYLOAD_ERRORS = 20

export const shapeCheck: PermitCheck = {
  name: 'shape',
  async run(context) {
    const { submission } = context
    const type = context.types.get(submission.permitType)
    if (!type) {
      return failed([fieldError('/permitType', 'unknown_permit_type', 'is not a permit type of this gateway (see GET /v1/permit-types)', 'bukan jenis izin gateway ini (lihat GET /v1/permit-types)')])
    }
    context.type = type
    const errors: CheckFieldError[] = context.types
      .validatePayload(type.code, submission.payload)
      .slice(0, MAX_PAYLOAD_ERRORS)
      .map((problem) => ({ pointer: problem.pointer, reason: problem.reason, detail: problem.detail }))
    const listed = new Set((submission.documents ?? []).map((document) => document.type))
    for (const required of type.requiredDocuments) {
      if (required.required && !listed.has(required.type)) {
        errors.push(fieldError('/documents', 'document_missing', `the type requires the document "${required.type}" (${required.name.en})`, `jenis izin ini mewajibkan dokumen "${required.type}" (${required.name.id})`))
      }
    }
    return errors.length ? failed(errors, { en: 'The application has invalid or missing fields.', id: 'Permohonan memuat isian yang tidak valid atau belum diisi.' }) : passed()
  },
}
