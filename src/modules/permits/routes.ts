/** The permit API: submit (with receipt and Idempotency-Key), dry-run validation, read, list, events, cancel; receipt verification. */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { negotiateLanguage } from '../../errors/language.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { issuerOf } from '../../identity/provider.ts'
import { receiptSigner } from '../../identity/receipts.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import {
  PermitEventsQuerySchema,
  PermitIdParamsSchema,
  PermitListQuerySchema,
  PermitRequestHeadersSchema,
  type CancelPermit,
  type PermitEventsQuery,
  type PermitIdParams,
  type PermitListQuery,
  type PermitSubmission,
} from './schemas.ts'
import { sendStored } from './idempotency.ts'
import { organisationDirectory, type OrganisationDirectory } from './organisations.ts'
import { cancelPermit, getPermit, listEvents, listOrgPermits, submitPermit, validatePermit, type PermitDeps } from './service.ts'

/**
 * Permits with many commodity lines are larger than the API's 64 KiB default (a type allows up to
 * 100 lines of 500-character descriptions); the JSON shape limits of src/http/json-body.ts still apply.
 */
export const PERMIT_BODY_LIMIT = 512 * 1024

const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const
const UPSTREAM_PROBLEMS = ['UPSTREAM_BAD_RESPONSE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT'] as const
const BODY_PROBLEMS = ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const

const PIPELINE_DESCRIPTION =
  'The checks run in this order: `shape` (the type exists, the payload is valid against its `payloadSchema`, the required documents are listed; a failure here stops the pipeline) → `oss` (the organisation\'s NIB is active at OSS, its business type fits the type) → `djp_kswp` (its NPWP is valid at DJP KSWP) → `business_rules` (HS codes allowed by the type, quantities and values positive, periods coherent and not over, a surveyor when the type needs one, surveyor and insurer NIBs known to the gateway). OSS and KSWP answers are cached for a minute, so a burst of submissions costs one look-up each. An upstream outage is `503`/`504` with `Retry-After`.'

/**
 * GET /v1/permits/{id} answers one of two views, and the contract says so (a union, `view` tells
 * which). Serialised by the union, fast-json-stringify would run an Ajv validation of the whole
 * body (formats, patterns, the payload) against each option to pick one: ~40% of the
 * serialisation of an owner's permit. The handler knows the view, so the answer is serialised by
 * that option's own schema, compiled once per route by the same compiler (shared schemas included):
 * the fields, types and `additionalProperties: false` of the contract still shape every answer.
 */
const PARTNER_VIEW_SCHEMA = { $ref: 'PermitPartnerView' }
const VIEW_SCHEMAS: Record<'owner' | 'surveyor' | 'insurer', Record<string, unknown>> = { owner: { $ref: 'Permit' }, surveyor: PARTNER_VIEW_SCHEMA, insurer: PARTNER_VIEW_SCHEMA }

function upstreamContextOf(request: FastifyRequest) {
  return { requestId: request.id, traceparent: request.headers.traceparent as string | undefined }
}

/** A body-less POST is an empty object (cancel's reason is optional). */
async function emptyBodyIsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {}
}

export interface PermitRoutesOptions {
  config: Config
}

export default async function permitRoutes(app: FastifyInstance, options: PermitRoutesOptions): Promise<void> {
  const receipts = receiptSigner(app.oidcKeys, issuerOf(options.config))
  // Read per request: the job engine's plugin may be registered after this one.
  let organisations: OrganisationDirectory | undefined
  const deps = (): PermitDeps => ({ db: app.db, upstreams: app.upstreams, types: app.permitTypes, jobs: app.jobs, receipts, organisations: (organisations ??= organisationDirectory(app.db)) })

  app.post<{ Body: PermitSubmission; Headers: { 'idempotency-key'?: string } }>(
    '/v1/permits',
    {
      config: { scopes: ['permits:write'] },
      bodyLimit: PERMIT_BODY_LIMIT,
      schema: {
        operationId: 'submitPermit',
        summary: 'Submit a permit application',
        description: [
          'Single submission: the applicant\'s NIB, NPWP, name and address come from your organisation\'s record (synced from OSS). Needs Create on SSM Perizinan (machine clients: `permits:write`).',
          PIPELINE_DESCRIPTION,
          'A failed check is `422 VALIDATION_FAILED` with one entry per finding: `pointer` names the field (the document root for the organisation\'s own NIB or NPWP), `reason` the check and the finding (`oss.business_type_mismatch`, `business_rules.hs_code_not_allowed`). Nothing is stored.',
          'Accepted: `202` with `Location`, the permit and a signed receipt. The permit and its forwarding job are stored in one transaction; INATRADE is reached asynchronously; follow `statusUrl` and `eventsUrl`.',
          '`clientReference` is unique in your organisation: a second submission with it (and no `Idempotency-Key` replay) is `409 CONFLICT` naming the existing permit (its id in `detail`, its URL in `Location`). With `Idempotency-Key`: the same key and body replays the first `202` byte for byte with `Idempotent-Replayed: true`; the same key with another body is `422 IDEMPOTENCY_KEY_REUSED`; while the first is still being processed, `409 IDEMPOTENCY_KEY_IN_FLIGHT` with `Retry-After`. A refused submission frees its key.',
          'Sandbox: NIB `8120000000001` (importer) is approved, `8120000000002` rejected, `8120000000008` waits for INATRADE (down), `8120000000004` fails `djp_kswp`, `8120000000014` meets a KSWP outage (503).',
        ].join('\n\n'),
        tags: ['Permits'],
        security: secured('permits:write'),
        headers: PermitRequestHeadersSchema,
        body: Type.Ref('PermitSubmission'),
        response: {
          202: {
            description: 'Accepted; `Location` is the permit. On a replay, `Idempotent-Replayed: true`.',
            headers: {
              location: { type: 'string', description: 'The permit\'s URL.' },
              'idempotent-replayed': { type: 'string', enum: ['true'], description: 'Present on a replay of an earlier answer.' },
            },
            content: { 'application/json': { schema: Type.Ref('PermitAccepted') } },
          },
          ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'CONFLICT', 'IDEMPOTENCY_KEY_IN_FLIGHT', 'VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED', ...UPSTREAM_PROBLEMS, ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const answer = await submitPermit(deps(), {
        principal: requirePrincipal(request),
        body: request.body,
        idempotencyKey: request.headers['idempotency-key'],
        language: negotiateLanguage(request.headers['accept-language']),
        traceparent: request.headers.traceparent as string | undefined,
        upstreamContext: upstreamContextOf(request),
      })
      return sendStored(reply, answer)
    },
  )

  app.post<{ Body: PermitSubmission }>(
    '/v1/permits/validate',
    {
      config: { scopes: ['permits:write'] },
      bodyLimit: PERMIT_BODY_LIMIT,
      schema: {
        operationId: 'validatePermit',
        summary: 'Check a permit application without submitting it',
        description: [
          'The submission\'s pipeline as a dry run, with the result of each check: nothing is stored, no job, no receipt. `valid: true` means a submission of this body would pass the checks now (`clientReference` uniqueness is checked on submission). Same rights as submitting.',
          PIPELINE_DESCRIPTION,
        ].join('\n\n'),
        tags: ['Permits'],
        security: secured('permits:write'),
        body: Type.Ref('PermitSubmission'),
        response: {
          200: Type.Ref('PermitValidation'),
          ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...UPSTREAM_PROBLEMS, ...COMMON_PROBLEMS),
        },
      },
    },
    async (request) =>
      validatePermit(deps(), {
        principal: requirePrincipal(request),
        body: request.body,
        language: negotiateLanguage(request.headers['accept-language']),
        upstreamContext: upstreamContextOf(request),
      }),
  )

  app.get<{ Querystring: PermitListQuery }>(
    '/v1/permits',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'listPermits',
        summary: 'List permits',
        description:
          'Your organisation\'s permits, newest submission first, with filters; `clientReference=` finds a submission whose answer you did not get. Needs View on SSM Perizinan (machine clients: `permits:read`). A surveyor\'s or insurer\'s client lists the permits naming its organisation, without `clientReference` and `dueAt`.',
        tags: ['Permits'],
        security: secured('permits:read'),
        querystring: PermitListQuerySchema,
        response: { 200: Type.Ref('PermitPage'), ...problemResponses(...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listOrgPermits(deps(), requirePrincipal(request), request.query, request.url),
  )

  app.get<{ Params: PermitIdParams }>(
    '/v1/permits/:id',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'getPermit',
        summary: 'A permit: status, SLA, licence',
        description:
          'The permit with its status, SLA (due time in working days of its type, Asia/Jakarta), the licence once issued, and the last forwarding error while INATRADE cannot be reached. Needs View on SSM Perizinan (`permits:read`). Another organisation\'s permit is `404`. A surveyor\'s or insurer\'s client gets the partner view of the permits naming its organisation.',
        tags: ['Permits'],
        security: secured('permits:read'),
        params: PermitIdParamsSchema,
        response: {
          200: Type.Union([Type.Ref('Permit'), Type.Ref('PermitPartnerView')], { description: '`view` tells which.' }),
          ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const permit = await getPermit(deps(), requirePrincipal(request), request.params.id)
      reply.serializer(reply.compileSerializationSchema(VIEW_SCHEMAS[permit.view], '200'))
      return permit
    },
  )

  app.get<{ Params: PermitIdParams; Querystring: PermitEventsQuery }>(
    '/v1/permits/:id/events',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'listPermitEvents',
        summary: 'A permit\'s journey',
        description:
          'Every step, oldest first: time, actor (user, client, operator, system, upstream), hop (gateway, OSS, DJP KSWP, INATRADE), outcome, detail (attempt, HTTP status, retry time, reason, licence number), and the one W3C trace id of the journey. Needs View on SSM Perizinan (`permits:read`); not shown to surveyors and insurers.',
        tags: ['Permits'],
        security: secured('permits:read'),
        params: PermitIdParamsSchema,
        querystring: PermitEventsQuerySchema,
        response: { 200: Type.Ref('PermitEventPage'), ...problemResponses(...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => listEvents(deps(), requirePrincipal(request), request.params.id, request.query, request.url),
  )

  app.post<{ Params: PermitIdParams; Body: CancelPermit }>(
    '/v1/permits/:id/cancel',
    {
      config: { scopes: ['permits:write'] },
      preValidation: emptyBodyIsObject,
      schema: {
        operationId: 'cancelPermit',
        summary: 'Cancel a permit before a decision',
        description:
          'Withdraws the application while it has no decision (`submitted`, `forwarded`, `received`, `under_review`, `forwarding_failed`); afterwards `409 CONFLICT`. Not yet at INATRADE: cancelled at once (`200`). At INATRADE: INATRADE decides (`202`, `cancellation: requested`): the permit becomes `cancelled` when INATRADE confirms, or its decision stands; the events tell which. Needs Delete on SSM Perizinan (machine clients: `permits:write`). The body is optional.',
        tags: ['Permits'],
        security: secured('permits:write'),
        params: PermitIdParamsSchema,
        body: Type.Ref('CancelPermit'),
        response: {
          200: Type.Ref('CancelledPermit'),
          202: Type.Ref('CancelledPermit'),
          ...problemResponses(...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const { statusCode, body } = await cancelPermit(deps(), { principal: requirePrincipal(request), permitId: request.params.id, body: request.body })
      return reply.code(statusCode).send(body)
    },
  )

  app.post<{ Body: { receipt: string } }>(
    '/v1/receipts/verify',
    {
      config: { public: true },
      schema: {
        operationId: 'verifyReceipt',
        summary: 'Verify a permit receipt',
        description:
          'Public: checks a receipt\'s signature against the gateway\'s published keys (`GET /oidc/jwks`) and its issuer, and returns what it certifies. The same check needs nothing from the gateway but the JWKS: any JOSE library verifies the compact JWS (header `typ: permit-receipt+jwt`). To tie a receipt to a body, compare `submissionSha256` with the SHA-256 of the body\'s RFC 8785 canonical JSON.',
        tags: ['Permits'],
        security: [],
        body: Type.Ref('ReceiptVerificationRequest'),
        response: { 200: Type.Ref('ReceiptVerification'), ...problemResponses(...BODY_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS) },
      },
    },
    async (request) => receipts.verify(request.body.receipt),
  )
}

