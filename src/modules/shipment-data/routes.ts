/**
 * Shipment data pushed by partners: surveyor reports and insurance declarations (push, read one,
 * list yours), and each permit's list for its owner. Thin: the rules are in service.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import {
  PermitShipmentDataParamsSchema,
  PermitShipmentDataQuerySchema,
  ShipmentDataIdParamsSchema,
  ShipmentDataListQuerySchema,
  type InsuranceDeclarationSubmission,
  type PermitShipmentDataQuery,
  type ShipmentDataIdParams,
  type ShipmentDataListQuery,
  type SurveyorReportSubmission,
} from './schemas.ts'
import {
  getInsuranceDeclaration,
  getSurveyorReport,
  listMyInsuranceDeclarations,
  listMySurveyorReports,
  listPermitInsuranceDeclarations,
  listPermitSurveyorReports,
  pushInsuranceDeclaration,
  pushSurveyorReport,
  type PushAnswer,
  type ShipmentDataDeps,
} from './service.ts'

const TAGS = ['Shipment data']
const AUTH_PROBLEMS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE'] as const
const BODY_PROBLEMS = ['BAD_REQUEST', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const
const PUSH_PROBLEMS = [...BODY_PROBLEMS, ...AUTH_PROBLEMS, 'PARTNER_CLIENT_REQUIRED', 'NOT_FOUND', 'PERMIT_NOT_ISSUED', 'SHIPMENT_REFERENCE_CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS] as const
const READ_PROBLEMS = [...AUTH_PROBLEMS, 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS] as const
const LIST_PROBLEMS = [...AUTH_PROBLEMS, 'VALIDATION_FAILED', ...COMMON_PROBLEMS] as const

const PUSH_ORDER =
  'Checked in this order: the caller (`403 PARTNER_CLIENT_REQUIRED` for anyone but a machine client of this kind; `403 INSUFFICIENT_SCOPE` without `reports:write`) → the body (`422 VALIDATION_FAILED`, one entry per field) → the permit names your organisation (`404` otherwise, the same answer as for a permit that does not exist) → a repeat of `shipmentReference` (same body: `200` with the stored item; another body: `409 SHIPMENT_REFERENCE_CONFLICT`, `Location` the stored item) → the permit is `issued` (`409 PERMIT_NOT_ISSUED` before: shipments are made under a licence) → rules against the permit → stored: `201`, `Location` the new item.'

const READ_RIGHTS =
  'Readers: the partner that pushed it (its own items only), and the permit\'s organisation with View on SSM Perizinan (machine clients: `permits:read`). Anyone else gets `404`.'

/** 201 for a new item, 200 for a repeat: both the stored item, `Location` its URL. */
/**
 * The one place a JSON body is coerced: an insurer's system may send the insured amount as a JSON
 * number (the contract says so); it is read as its decimal text before validation, so the pattern
 * still decides (`1e21` and `0.12345` are refused). Everywhere else a body means what it says.
 */
async function readAmountAsText(request: FastifyRequest): Promise<void> {
  const value = (request.body as { insuredValue?: { amount?: unknown } } | undefined)?.insuredValue
  if (value && typeof value === 'object' && typeof value.amount === 'number' && Number.isFinite(value.amount)) value.amount = String(value.amount)
}

function pushedResponses(schema: string): Record<number, unknown> {
  const headers = { location: { type: 'string', description: 'The item\'s URL (`GET`).' } }
  return {
    201: { description: 'Stored; `Location` is the new item.', headers, content: { 'application/json': { schema: Type.Ref(schema) } } },
    200: { description: 'A repeat of an earlier push (same `shipmentReference`, same body): the stored item; nothing new is stored.', headers, content: { 'application/json': { schema: Type.Ref(schema) } } },
  }
}

function sendPushed<Item>(reply: FastifyReply, answer: PushAnswer<Item>) {
  return reply.code(answer.status).header('location', answer.location).send(answer.item)
}

export default async function shipmentDataRoutes(app: FastifyInstance): Promise<void> {
  const deps = (): ShipmentDataDeps => ({ db: app.db, now: () => app.businessClock.now() })

  app.post<{ Body: SurveyorReportSubmission }>(
    '/v1/surveyor-reports',
    {
      config: { scopes: ['reports:write'] },
      schema: {
        operationId: 'pushSurveyorReport',
        summary: 'Push a surveyor report (Laporan Surveyor) for a shipment',
        description: [
          'A surveyor\'s machine client (kind `surveyor`, scope `reports:write`) reports the verification result of one shipment under an issued permit that names its organisation (`surveyorNib` at submission). The permit\'s organisation then sees it (`GET /v1/permits/{id}/surveyor-reports`).',
          PUSH_ORDER,
          'Rules: `inspectedAt` not in the future (`in_future`, 5 minutes of clock skew allowed); every `lines[].hsCode` is one of the permit\'s commodity lines (`hs_code_not_in_permit`). Retries are safe without an `Idempotency-Key`: `shipmentReference` identifies the push.',
        ].join('\n\n'),
        tags: TAGS,
        security: secured('reports:write'),
        body: Type.Ref('SurveyorReportSubmission'),
        response: { ...pushedResponses('SurveyorReport'), ...problemResponses(...PUSH_PROBLEMS) },
      },
    },
    async (request, reply) => sendPushed(reply, await pushSurveyorReport(deps(), requirePrincipal(request), request.body)),
  )

  app.get<{ Querystring: ShipmentDataListQuery }>(
    '/v1/surveyor-reports',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'listSurveyorReports',
        summary: 'List surveyor reports visible to you',
        description: `A surveyor's client: the reports its organisation pushed. An organisation member: the reports about its permits. Newest received first; \`permitId=\` and \`shipmentReference=\` narrow it (the latter finds a push whose answer you did not get). An insurer's client gets \`403\`. ${READ_RIGHTS}`,
        tags: TAGS,
        security: secured('permits:read'),
        querystring: ShipmentDataListQuerySchema,
        response: { 200: Type.Ref('SurveyorReportPage'), ...problemResponses(...LIST_PROBLEMS) },
      },
    },
    async (request) => listMySurveyorReports(deps(), requirePrincipal(request), request.query, request.url),
  )

  app.get<{ Params: ShipmentDataIdParams }>(
    '/v1/surveyor-reports/:id',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'getSurveyorReport',
        summary: 'A surveyor report',
        description: READ_RIGHTS,
        tags: TAGS,
        security: secured('permits:read'),
        params: ShipmentDataIdParamsSchema,
        response: { 200: Type.Ref('SurveyorReport'), ...problemResponses(...READ_PROBLEMS) },
      },
    },
    async (request) => getSurveyorReport(deps(), requirePrincipal(request), request.params.id),
  )

  app.get<{ Params: ShipmentDataIdParams; Querystring: PermitShipmentDataQuery }>(
    '/v1/permits/:id/surveyor-reports',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'listPermitSurveyorReports',
        summary: 'A permit\'s surveyor reports',
        description:
          'What the permit\'s surveyor reported about its shipments, newest received first. Needs View on SSM Perizinan in the permit\'s organisation (machine clients: `permits:read`); the surveyor the permit names sees its own reports here too. Another organisation\'s permit is `404`.',
        tags: TAGS,
        security: secured('permits:read'),
        params: PermitShipmentDataParamsSchema,
        querystring: PermitShipmentDataQuerySchema,
        response: { 200: Type.Ref('SurveyorReportPage'), ...problemResponses(...READ_PROBLEMS) },
      },
    },
    async (request) => listPermitSurveyorReports(deps(), requirePrincipal(request), request.params.id, request.query, request.url),
  )

  app.post<{ Body: InsuranceDeclarationSubmission }>(
    '/v1/insurance-declarations',
    {
      config: { scopes: ['reports:write'] },
      schema: {
        operationId: 'pushInsuranceDeclaration',
        summary: 'Push a cargo insurance declaration for a shipment',
        description: [
          'An insurer\'s machine client (kind `insurer`, scope `reports:write`) declares the cover of one shipment under an issued permit that names its organisation (`insurerNib` at submission): policy number, insured value, coverage dates. The permit\'s organisation then sees it (`GET /v1/permits/{id}/insurance-declarations`).',
          PUSH_ORDER,
          'Rules: `insuredValue.amount` greater than zero (`not_positive`); `coverageEnd` on or after `coverageStart` (`before_start`, pointer `/coverageEnd`). Retries are safe without an `Idempotency-Key`: `shipmentReference` identifies the push.',
        ].join('\n\n'),
        tags: TAGS,
        security: secured('reports:write'),
        body: Type.Ref('InsuranceDeclarationSubmission'),
        response: { ...pushedResponses('InsuranceDeclaration'), ...problemResponses(...PUSH_PROBLEMS) },
      },
      preValidation: readAmountAsText,
    },
    async (request, reply) => sendPushed(reply, await pushInsuranceDeclaration(deps(), requirePrincipal(request), request.body)),
  )

  app.get<{ Querystring: ShipmentDataListQuery }>(
    '/v1/insurance-declarations',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'listInsuranceDeclarations',
        summary: 'List insurance declarations visible to you',
        description: `An insurer's client: the declarations its organisation pushed. An organisation member: the declarations about its permits. Newest received first; \`permitId=\` and \`shipmentReference=\` narrow it. A surveyor's client gets \`403\`. ${READ_RIGHTS}`,
        tags: TAGS,
        security: secured('permits:read'),
        querystring: ShipmentDataListQuerySchema,
        response: { 200: Type.Ref('InsuranceDeclarationPage'), ...problemResponses(...LIST_PROBLEMS) },
      },
    },
    async (request) => listMyInsuranceDeclarations(deps(), requirePrincipal(request), request.query, request.url),
  )

  app.get<{ Params: ShipmentDataIdParams }>(
    '/v1/insurance-declarations/:id',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'getInsuranceDeclaration',
        summary: 'An insurance declaration',
        description: READ_RIGHTS,
        tags: TAGS,
        security: secured('permits:read'),
        params: ShipmentDataIdParamsSchema,
        response: { 200: Type.Ref('InsuranceDeclaration'), ...problemResponses(...READ_PROBLEMS) },
      },
    },
    async (request) => getInsuranceDeclaration(deps(), requirePrincipal(request), request.params.id),
  )

  app.get<{ Params: ShipmentDataIdParams; Querystring: PermitShipmentDataQuery }>(
    '/v1/permits/:id/insurance-declarations',
    {
      config: { scopes: ['permits:read'] },
      schema: {
        operationId: 'listPermitInsuranceDeclarations',
        summary: 'A permit\'s insurance declarations',
        description:
          'What the permit\'s insurer declared about its shipments, newest received first. Needs View on SSM Perizinan in the permit\'s organisation (machine clients: `permits:read`); the insurer the permit names sees its own declarations here too. Another organisation\'s permit is `404`.',
        tags: TAGS,
        security: secured('permits:read'),
        params: PermitShipmentDataParamsSchema,
        querystring: PermitShipmentDataQuerySchema,
        response: { 200: Type.Ref('InsuranceDeclarationPage'), ...problemResponses(...READ_PROBLEMS) },
      },
    },
    async (request) => listPermitInsuranceDeclarations(deps(), requirePrincipal(request), request.params.id, request.query, request.url),
  )
}
