import { createHash } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'

/**
 * A minimal stand-in for the three sandbox upstreams, following docs/sandbox-upstreams.md, so the
 * adapter tests do not depend on src/sandbox. One server answers all three path families.
 */
export interface FakeUpstreams {
  url: string
  /** Requests received, most recent last (headers lower-cased). */
  journal: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined>; body: unknown }>
  close(): Promise<void>
}

export const business = {
  nib: '8120000000011',
  name: 'PT Sandbox Dagang Nusantara',
  legalForm: 'PT',
  npwp: '012345678901000',
  businessTypes: ['IMPORTER'],
  address: { street: 'Jl. Contoh No. 1', city: 'Jakarta Pusat', province: 'DKI Jakarta', postalCode: '10110' },
  kbli: [{ code: '46100', title: 'Perdagangan besar atas dasar balas jasa' }],
  personsInCharge: [{ name: 'Budi Santoso', nik: '3171000000000001', position: 'Direktur' }],
  lastChangedAt: '2025-01-15T08:00:00.000Z',
  // Not in the contract: the adapter must tolerate and drop it.
  internalRiskScore: 7,
}

export const taxpayers: Record<string, { status: 'VALID' | 'INVALID'; taxpayerName: string; reason?: string }> = {
  '012345678901000': { status: 'VALID', taxpayerName: 'PT SANDBOX DAGANG NUSANTARA' },
  '0987654321098000': { status: 'INVALID', taxpayerName: 'CV TIDAK AKTIF', reason: 'NPWP tidak aktif' },
}

export async function startFakeUpstreams(): Promise<FakeUpstreams> {
  const app: FastifyInstance = Fastify({ logger: false })
  const journal: FakeUpstreams['journal'] = []
  const applications = new Map<string, { inatradeId: string; referenceNumber: string; receivedAt: string }>()
  const byKey = new Map<string, { hash: string; status: number; body: unknown }>()
  let sequence = 0

  app.addHook('onRequest', async (request, reply) => {
    const requestId = request.headers['x-request-id']
    if (typeof requestId === 'string') reply.header('x-request-id', requestId)
  })
  app.addHook('preHandler', async (request) => {
    journal.push({ method: request.method, url: request.url, headers: { ...request.headers }, body: request.body })
  })

  app.get<{ Params: { nib: string } }>('/oss/v1/businesses/:nib', async (request, reply) => {
    const { nib } = request.params
    if (!/^\d{13}$/.test(nib)) return reply.code(400).send({ error: 'INVALID_NIB', message: 'NIB must be 13 digits' })
    if (nib !== business.nib) return reply.code(404).send({ error: 'NIB_NOT_FOUND', message: 'NIB not registered' })
    return business
  })

  app.get<{ Params: { npwp: string } }>('/kswp/v1/taxpayers/:npwp', async (request, reply) => {
    const { npwp } = request.params
    if (!/^\d{15,16}$/.test(npwp)) return reply.code(400).send({ error: 'INVALID_NPWP', message: 'NPWP must be 15 or 16 digits' })
    const taxpayer = taxpayers[npwp]
    if (taxpayer === undefined) return reply.code(404).send({ error: 'NPWP_NOT_FOUND', message: 'NPWP not registered' })
    return { npwp, ...taxpayer, confirmedAt: '2025-02-01T00:00:00.000Z' }
  })

  function idempotent(key: unknown, body: unknown, create: () => unknown): { status: number; body: unknown; replayed?: boolean } {
    if (typeof key !== 'string' || key === '') return { status: 400, body: { error: 'MISSING_IDEMPOTENCY_KEY', message: 'Idempotency-Key required' } }
    const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex')
    const seen = byKey.get(key)
    if (seen !== undefined) {
      return seen.hash === hash ? { status: 200, body: seen.body, replayed: true } : { status: 409, body: { error: 'IDEMPOTENCY_KEY_REUSED', message: 'key reused' } }
    }
    const created = create()
    byKey.set(key, { hash, status: 202, body: created })
    return { status: 202, body: created }
  }

  app.post('/inatrade/v1/applications', async (request, reply) => {
    const input = request.body as { referenceNumber?: unknown; applicant?: unknown } | null
    if (typeof input?.referenceNumber !== 'string' || typeof input.applicant !== 'object') {
      return reply.code(400).send({ error: 'INVALID_APPLICATION', message: 'referenceNumber and applicant are required' })
    }
    const referenceNumber = input.referenceNumber
    const result = idempotent(request.headers['idempotency-key'], input, () => {
      const application = { inatradeId: `INA-${String(++sequence).padStart(6, '0')}`, referenceNumber, receivedAt: new Date().toISOString() }
      applications.set(application.inatradeId, application)
      return { ...application, status: 'RECEIVED' }
    })
    if (result.replayed === true) reply.header('idempotent-replayed', 'true')
    return reply.code(result.status).send(result.body)
  })

  app.get<{ Params: { id: string } }>('/inatrade/v1/applications/:id', async (request, reply) => {
    const application = applications.get(request.params.id)
    if (application === undefined) return reply.code(404).send({ error: 'APPLICATION_NOT_FOUND', message: 'unknown application' })
    return {
      inatradeId: application.inatradeId,
      referenceNumber: application.referenceNumber,
      status: 'RECEIVED',
      history: [{ status: 'RECEIVED', at: application.receivedAt }],
    }
  })

  app.post('/inatrade/v1/realisation-reports', async (request, reply) => {
    const result = idempotent(request.headers['idempotency-key'], request.body, () => ({
      receiptNumber: `RR-${String(++sequence).padStart(6, '0')}`,
      receivedAt: new Date().toISOString(),
    }))
    if (result.replayed === true) reply.header('idempotent-replayed', 'true')
    return reply.code(result.status).send(result.body)
  })

  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'NOT_FOUND', message: 'no such route' }))

  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('fake upstreams did not bind a TCP port')
  return { url: `http://127.0.0.1:${address.port}`, journal, close: () => app.close() }
}
