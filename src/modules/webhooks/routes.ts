import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { secured } from '../../plugins/openapi.ts'
import { checkOrganisationBeforeValidation } from '../orgs/early-checks.ts'
import { OrgParamsSchema, type OrgParams } from '../orgs/params.ts'
import { ORG_READ_PROBLEMS, ORG_WRITE_PROBLEMS } from '../orgs/route-problems.ts'
import {
  DeliveryParamsSchema,
  DeliveryQuerySchema,
  WebhookParamsSchema,
  WebhookQuerySchema,
  type CreateWebhook,
  type DeliveryParams,
  type DeliveryQuery,
  type RotateWebhookSecret,
  type UpdateWebhook,
  type WebhookParams,
  type WebhookQuery,
} from './schemas.ts'
import * as service from './service.ts'

const TAGS = ['Webhooks']
const BASE = '/v1/orgs/:orgId/webhooks'

export default async function webhookRoutes(app: FastifyInstance, options: { deps: service.WebhookServiceDeps }): Promise<void> {
  const { deps } = options
  // A caller of another organisation is refused (404) before its body is validated, as on every org route.
  app.addHook('onRoute', checkOrganisationBeforeValidation)

  app.get<{ Params: OrgParams; Querystring: WebhookQuery }>(
    BASE,
    {
      config: { scopes: ['webhooks:read'] },
      schema: {
        operationId: 'listWebhooks',
        summary: 'List the organisation\'s webhook endpoints',
        description: 'Newest first. Needs View on API Catalogue. Secrets are never shown here.',
        tags: TAGS,
        security: secured('webhooks:read'),
        params: OrgParamsSchema,
        querystring: WebhookQuerySchema,
        response: { 200: Type.Ref('WebhookPage'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => service.listWebhooks(deps, requirePrincipal(request), request.params.orgId, request.query, request.url),
  )

  app.post<{ Params: OrgParams; Body: CreateWebhook }>(
    BASE,
    {
      config: { scopes: ['webhooks:write'] },
      schema: {
        operationId: 'createWebhook',
        summary: 'Subscribe an endpoint to events',
        description:
          'Needs Create on API Catalogue. Messages are signed per Standard Webhooks; the signing secret is in this answer only. A URL that is not https (outside sandbox mode), carries credentials, or names a refused address (loopback, private, link-local, CGNAT, multicast, cloud metadata) answers 422 with a field error on `/url`.',
        tags: TAGS,
        security: secured('webhooks:write'),
        params: OrgParamsSchema,
        body: Type.Ref('CreateWebhook'),
        response: { 201: Type.Ref('WebhookWithSecret'), ...problemResponses(...ORG_WRITE_PROBLEMS) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createWebhook(deps, requirePrincipal(request), request.params.orgId, request.body, request.id)),
  )

  app.get<{ Params: WebhookParams }>(
    `${BASE}/:webhookId`,
    {
      config: { scopes: ['webhooks:read'] },
      schema: {
        operationId: 'getWebhook',
        summary: 'Read a webhook endpoint',
        description: 'Needs View on API Catalogue.',
        tags: TAGS,
        security: secured('webhooks:read'),
        params: WebhookParamsSchema,
        response: { 200: Type.Ref('Webhook'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => service.getWebhook(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId),
  )

  app.patch<{ Params: WebhookParams; Body: UpdateWebhook }>(
    `${BASE}/:webhookId`,
    {
      config: { scopes: ['webhooks:write'] },
      schema: {
        operationId: 'updateWebhook',
        summary: 'Change an endpoint\'s URL, description, event types or enabled state',
        description:
          'Needs Edit on API Catalogue. Only the fields sent change. Enabling a disabled endpoint sends the messages that waited, each permit\'s in order; a new URL or enabling clears the failing period.',
        tags: TAGS,
        security: secured('webhooks:write'),
        params: WebhookParamsSchema,
        body: Type.Ref('UpdateWebhook'),
        response: { 200: Type.Ref('Webhook'), ...problemResponses(...ORG_WRITE_PROBLEMS) },
      },
    },
    async (request) => service.updateWebhook(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId, request.body, request.id),
  )

  app.delete<{ Params: WebhookParams }>(
    `${BASE}/:webhookId`,
    {
      config: { scopes: ['webhooks:write'] },
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook endpoint',
        description: 'Needs Delete on API Catalogue. Its waiting messages and its delivery log are deleted with it.',
        tags: TAGS,
        security: secured('webhooks:write'),
        params: WebhookParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request, reply) => {
      await service.deleteWebhook(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId, request.id)
      return reply.code(204).send()
    },
  )

  app.post<{ Params: WebhookParams; Body: RotateWebhookSecret | undefined }>(
    `${BASE}/:webhookId/rotate-secret`,
    {
      config: { scopes: ['webhooks:write'] },
      schema: {
        operationId: 'rotateWebhookSecret',
        summary: 'Issue a new signing secret; the previous one keeps signing for an overlap',
        description:
          'Needs Edit on API Catalogue. The new secret is in this answer only. During the overlap (`overlapSeconds`, default 1 day) every message carries two signatures, one per secret, so a receiver can switch at its own pace.',
        tags: TAGS,
        security: secured('webhooks:write'),
        params: WebhookParamsSchema,
        body: Type.Ref('RotateWebhookSecret'),
        response: { 200: Type.Ref('WebhookWithSecret'), ...problemResponses(...ORG_WRITE_PROBLEMS) },
      },
    },
    async (request) => service.rotateWebhookSecret(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId, request.body ?? {}, request.id),
  )

  app.post<{ Params: WebhookParams }>(
    `${BASE}/:webhookId/ping`,
    {
      config: { scopes: ['webhooks:write'] },
      schema: {
        operationId: 'pingWebhook',
        summary: 'Send a test message now and see what the endpoint answered',
        description:
          'Needs Edit on API Catalogue. Sends a signed `webhook.ping` message at once (also to a disabled endpoint) and answers with the attempt: `200` whatever the endpoint said; look at `outcome`. The ping shows in the delivery log; it does not count toward disabling the endpoint.',
        tags: TAGS,
        security: secured('webhooks:write'),
        params: WebhookParamsSchema,
        response: { 200: Type.Ref('WebhookPingResult'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => service.pingWebhook(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId),
  )

  app.get<{ Params: WebhookParams; Querystring: DeliveryQuery }>(
    `${BASE}/:webhookId/deliveries`,
    {
      config: { scopes: ['webhooks:read'] },
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'The endpoint\'s delivery log',
        description: 'Newest first; filter by `state`. Each message with its state, attempts and the last status. Needs View on API Catalogue.',
        tags: TAGS,
        security: secured('webhooks:read'),
        params: WebhookParamsSchema,
        querystring: DeliveryQuerySchema,
        response: { 200: Type.Ref('WebhookDeliveryPage'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => service.listDeliveries(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId, request.query, request.url),
  )

  app.get<{ Params: DeliveryParams }>(
    `${BASE}/:webhookId/deliveries/:deliveryId`,
    {
      config: { scopes: ['webhooks:read'] },
      schema: {
        operationId: 'getWebhookDelivery',
        summary: 'One message: its payload and every attempt',
        description: 'Each attempt with its time, status, latency, error and the start of the answer. Needs View on API Catalogue.',
        tags: TAGS,
        security: secured('webhooks:read'),
        params: DeliveryParamsSchema,
        response: { 200: Type.Ref('WebhookDeliveryDetail'), ...problemResponses(...ORG_READ_PROBLEMS) },
      },
    },
    async (request) => service.getDelivery(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId, request.params.deliveryId),
  )

  app.post<{ Params: DeliveryParams }>(
    `${BASE}/:webhookId/deliveries/:deliveryId/redeliver`,
    {
      config: { scopes: ['webhooks:write'] },
      schema: {
        operationId: 'redeliverWebhookDelivery',
        summary: 'Send a message again',
        description:
          'Needs Edit on API Catalogue. The same message (same `webhook-id`, payload and sequence) waits again in its permit\'s queue and goes out in sequence order with the permit\'s other waiting messages, retried like any other. `409` while it is still waiting. A disabled endpoint keeps it until enabled.',
        tags: TAGS,
        security: secured('webhooks:write'),
        params: DeliveryParamsSchema,
        response: { 202: Type.Ref('WebhookDeliveryDetail'), ...problemResponses(...ORG_READ_PROBLEMS, 'CONFLICT') },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await service.redeliver(deps, requirePrincipal(request), request.params.orgId, request.params.webhookId, request.params.deliveryId, request.id)),
  )
}
