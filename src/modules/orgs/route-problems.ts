/** Problem responses shared by the organisation-scoped routes. */
import type { ProblemCode } from '../../errors/catalogue.ts'
import { COMMON_PROBLEMS } from '../../errors/problem-schema.ts'

/** Every organisation-scoped read: bad token, missing right or scope, another organisation (404), bad params. */
export const ORG_READ_PROBLEMS: ProblemCode[] = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE', 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS]

/** Writes also refuse malformed or non-JSON bodies. */
export const ORG_WRITE_PROBLEMS: ProblemCode[] = [...ORG_READ_PROBLEMS, 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE']
