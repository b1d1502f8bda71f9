/** Request bodies INATRADE accepts from the gateway (see docs/sandbox-upstreams.md). */
import { Type, type Static } from 'typebox'
import { NIB_PATTERN, NIK_PATTERN, NPWP_PATTERN } from './identifiers.ts'

const Text = Type.String({ minLength: 1, maxLength: 200 })

export const ApplicationBodySchema = Type.Object({
  referenceNumber: Text,
  permitType: Text,
  nib: Type.String({ pattern: NIB_PATTERN }),
  npwp: Type.String({ pattern: NPWP_PATTERN }),
  applicant: Type.Object({ name: Text, nik: Type.String({ pattern: NIK_PATTERN }) }),
  /** The permit-specific form: opaque to the stub. */
  payload: Type.Object({}),
  callbackUrl: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }),
})
export type ApplicationBody = Static<typeof ApplicationBodySchema>

export const RealisationReportBodySchema = Type.Object({
  reportNumber: Text,
  nib: Type.String({ pattern: NIB_PATTERN }),
  licenceNumber: Text,
  period: Type.Object({
    year: Type.Integer({ minimum: 2000, maximum: 2100 }),
    month: Type.Integer({ minimum: 1, maximum: 12 }),
  }),
  /** May be empty: a "nil" report (nothing imported that month) is still a report. */
  lines: Type.Array(Type.Object({}), { maxItems: 10_000 }),
})
export type RealisationReportBody = Static<typeof RealisationReportBodySchema>
