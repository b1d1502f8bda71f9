/**
 * Validation cost (issue 8 item 2): for every operation with a body, the worst requests under the
 * body limit (huge arrays of invalid items, long strings, many unknown fields, deep nesting)
 * must each cost at most 50 ms, and a GET /health/live sent while one is in flight must answer
 * within 100 ms (validation runs on the one event loop: a slow one blocks everybody).
 *
 * Over a real socket: the gateway listens on loopback (in-memory PGlite, sandbox upstreams). Tokens
 * are minted with the gateway's own signing key for its super admin and a platform operator, so
 * every body reaches validation (a caller of another organisation is refused before it).
 * Each case runs once to warm up (compiles the lazily built every-error validator), then
 * ROUNDS times; the median counts. Run alone: `npx node scripts/bench/validation-cost.ts`.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { Agent, request } from 'undici'
import { buildApp, DEFAULT_BODY_LIMIT } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts'
import { apiAudienceOf, issuerOf } from '../../src/identity/provider.ts'
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.ts'
import type { BenchPart } from './part.ts'

const REQUEST_FLOOR_MS = 50
const UNRELATED_FLOOR_MS = 100
const ROUNDS = 3
/** Under the gateway's JSON body limit, with room for the envelope. */
const BODY_BUDGET = DEFAULT_BODY_LIMIT - 1024
/** The registration's JSON form part is limited to 64 KiB inside its multipart body. */
const FORM_BUDGET = 64 * 1024 - 1024
const PUBLIC_URL = 'http://gateway.bench'

type Schema = Record<string, unknown>
interface Operation { method: string; path: string; multipart: boolean; schema: Schema }
/** `text`: the JSON as sent (deep nesting is built as text: JSON.stringify would overflow the stack). */
interface Case { label: string; text: string }
interface Row { operation: string; worstCase: string; cpuMs: number; requestMs: number; unrelatedMs: number; status: number; pass: boolean }

function resolve(schema: Schema, shared: Record<string, Schema>): Schema {
  let node = schema
  for (let i = 0; i < 10 && typeof node.$ref === 'string'; i++) node = shared[node.$ref.replace('#/components/schemas/', '')] ?? {}
  return node
}

/** A plausible value for a schema: enough shape that validation walks into it. */
function sample(schema: Schema, shared: Record<string, Schema>, depth = 0): unknown {
  const node = resolve(schema, shared)
  if (depth > 6) return null
  if (Array.isArray(node.enum)) return node.enum[0]
  if ('const' in node) return node.const
  const union = (node.anyOf ?? node.oneOf) as Schema[] | undefined
  if (union?.length) return sample(union[0]!, shared, depth + 1)
  const type = Array.isArray(node.type) ? node.type[0] : node.type
  if (type === 'object' || node.properties) {
    const out: Record<string, unknown> = {}
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) out[name] = sample(child, shared, depth + 1)
    return out
  }
  if (type === 'array') return [sample((node.items ?? {}) as Schema, shared, depth + 1)]
  if (type === 'string') return 'x'
  if (type === 'integer' || type === 'number') return 1
  if (type === 'boolean') return true
  return null
}

/** Paths (property names from the root) to every array and string of the schema. */
function leaves(schema: Schema, shared: Record<string, Schema>, path: string[] = [], depth = 0): { arrays: string[][]; strings: string[][] } {
  const node = resolve(schema, shared)
  const found = { arrays: [] as string[][], strings: [] as string[][] }
  if (depth > 6) return found
  const union = (node.anyOf ?? node.oneOf) as Schema[] | undefined
  const target = union?.length ? resolve(union[0]!, shared) : node
  const type = Array.isArray(target.type) ? target.type[0] : target.type
  if (type === 'array') found.arrays.push(path)
  if (type === 'string' && !target.enum && !('const' in target)) found.strings.push(path)
  for (const [name, child] of Object.entries((target.properties ?? {}) as Record<string, Schema>)) {
    const inner = leaves(child, shared, [...path, name], depth + 1)
    found.arrays.push(...inner.arrays)
    found.strings.push(...inner.strings)
  }
  return found
}

function setPath(root: unknown, path: string[], value: unknown): unknown {
  if (!path.length) return value
  const copy = structuredClone(root) as Record<string, unknown>
  let node = copy
  for (const key of path.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path.at(-1)!] = value
  return copy
}

/** Repeats `item` as often as fits in `budget` bytes of JSON. */
function fill(item: unknown, budget: number): unknown[] {
  const size = JSON.stringify(item).length + 1
  return Array.from({ length: Math.max(1, Math.floor(budget / size)) }, () => item)
}

/** The adversarial bodies for one operation: each one alone near the limit. */
function casesFor(operation: Operation, shared: Record<string, Schema>): Case[] {
  const budget = operation.multipart ? FORM_BUDGET : BODY_BUDGET
  const base = sample(operation.schema, shared)
  const cases: (Omit<Case, 'text'> & { body: unknown })[] = []
  const { arrays, strings } = leaves(operation.schema, shared)
  for (const path of arrays) {
    const label = `/${path.join('/')}`
    cases.push({ label: `${label}: huge array of invalid objects`, body: setPath(base, path, fill({ menu: 'NOT_A_MENU', actions: ['x', 'x'] }, budget - 200)) })
    cases.push({ label: `${label}: huge array of duplicates`, body: setPath(base, path, fill('x', budget - 200)) })
  }
  for (const path of strings.slice(0, 6)) {
    const label = `/${path.join('/')}`
    // Long runs that make backtracking regexes (email, patterns) work hardest.
    cases.push({ label: `${label}: long string`, body: setPath(base, path, 'a-'.repeat(Math.floor((budget - 200) / 2))) })
  }
  const unknown: Record<string, unknown> = typeof base === 'object' && base !== null ? { ...(base as object) } : {}
  for (let i = 0; JSON.stringify(unknown).length < budget - 2048; i++) unknown[`f${i}`] = 1
  cases.push({ label: 'many unknown fields', body: unknown })
  // Just under the distinct-name limit, repeated: many wide objects of the same shape.
  const wide = Object.fromEntries(Array.from({ length: 190 }, (_, i) => [`w${i}`, 1]))
  cases.push({ label: 'wide objects', body: typeof base === 'object' && base !== null ? { ...(base as object), wide: fill(wide, budget - 1024) } : fill(wide, budget - 1024) })
  const depth = Math.floor((budget - 1024) / 2)
  const prefix = typeof base === 'object' && base !== null && !Array.isArray(base) ? `${JSON.stringify(base).slice(0, -1)},"nested":` : ''
  const deep = `${prefix}${'['.repeat(depth)}1${']'.repeat(depth)}${prefix ? '}' : ''}`
  return [...cases.map(({ label, body }) => ({ label, text: JSON.stringify(body) })), { label: 'deep nesting', text: deep }]
}

function signer(app: FastifyInstance) {
  const jwk = app.oidcKeys.jwks.keys[0] as unknown as Record<string, unknown> & { kid: string }
  const key = createPrivateKey({ key: jwk as never, format: 'jwk' })
  const ec = jwk.kty === 'EC'
  const alg = (jwk.alg as string | undefined) ?? (ec ? 'ES256' : 'RS256')
  const config = loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL })
  const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url')
  return (sub: string, orgId?: string) => {
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: issuerOf(config), aud: apiAudienceOf(config), jti: randomUUID(), iat: now, exp: now + 290, sub, client_id: 'swagger-ui', scope: 'openid org:read org:admin registrations:read registrations:write permits:read permits:write reports:read reports:write webhooks:read webhooks:write', ...(orgId ? { org_id: orgId } : {}) }
    const input = `${encode({ alg, typ: 'at+jwt', kid: jwk.kid })}.${encode(claims)}`
    const signature = sign('sha256', Buffer.from(input), ec ? { key, dsaEncoding: 'ieee-p1363' } : key)
    return `${input}.${signature.toString('base64url')}`
  }
}

function multipartOf(form: string): { body: string; type: string } {
  const boundary = `bench${randomUUID()}`
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    body: `--${boundary}\r\nContent-Disposition: form-data; name="form"\r\nContent-Type: application/json\r\n\r\n${form}\r\n--${boundary}--\r\n`,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export async function run(): Promise<BenchPart> {
  const resources: { database?: DatabaseHandle; sandbox?: Sandbox; app?: FastifyInstance; agent?: Agent } = {}
  try {
    resources.database = await openDatabase({})
    resources.sandbox = await startSandbox({ logger: false })
    const { ossUrl, djpUrl, inatradeUrl } = resources.sandbox
    const app = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL }),
      database: resources.database,
      upstreamUrls: { ossUrl, djpUrl, inatradeUrl },
      rateLimits: { apiPerMinute: 1e9, tokenPerMinute: 1e9 },
    })
    resources.app = app
    // CPU the gateway spends on each request, from before its body is read to its answer: what
    // one request costs the event loop, whatever else the machine is doing (wall times are also
    // shown; on a machine busier than its cores they stretch).
    const cpuAtStart = new WeakMap<object, NodeJS.CpuUsage>()
    const cpuMsById = new Map<string, number>()
    // The gateway makes its own request ids (the caller's X-Request-Id is only logged beside them):
    // requests are matched by the header the bench sent.
    const benchId = (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers['x-request-id']
      return typeof header === 'string' && header.startsWith('bench-') ? header : undefined
    }
    app.addHook('onRequest', async (request) => {
      if (benchId(request)) cpuAtStart.set(request, process.cpuUsage())
    })
    app.addHook('onResponse', async (request) => {
      const start = cpuAtStart.get(request)
      const id = benchId(request)
      if (!start || !id) return
      const used = process.cpuUsage(start)
      cpuMsById.set(id, (used.user + used.system) / 1000)
    })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    resources.agent = new Agent({ connections: 8, pipelining: 0 })
    const dispatcher = resources.agent

    const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
    if (created.statusCode !== 201) throw new Error(`test organisation not created (${created.statusCode}): ${created.body}`)
    const org = created.json() as { organisation: { id: string }; superAdmin: { userId: string } }
    const operator = await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })
    if (operator.statusCode !== 201) throw new Error(`test operator not created (${operator.statusCode}): ${operator.body}`)
    const mint = signer(app)
    const memberToken = () => mint(org.superAdmin.userId, org.organisation.id)
    const operatorToken = () => mint((operator.json() as { userId: string }).userId)

    const document = app.swagger() as unknown as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>; components: { schemas: Record<string, Schema> } }
    const shared = document.components.schemas
    const operations: Operation[] = []
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const content = operation.requestBody?.content
        if (!content) continue
        const multipart = 'multipart/form-data' in content
        const schema = multipart ? resolve(content['multipart/form-data']!.schema, shared) : content['application/json']?.schema
        if (!schema) continue
        operations.push({ method: method.toUpperCase(), path, multipart, schema: multipart ? ((schema.properties as Record<string, Schema>).form ?? {}) : schema })
      }
    }

    const urlOf = (path: string) =>
      path
        .replace('{orgId}', org.organisation.id)
        .replace(/\{(groupId|userId)\}/, randomUUID())
        .replace('{clientId}', 'bench-client')
        .replace('{trackingNumber}', 'REG-AAAA-BBBB-CCCC-DDDD-EEEE')

    const send = async (operation: Operation, body: string): Promise<{ ms: number; cpuMs: number; status: number }> => {
      const operatorRoute = operation.path.startsWith('/v1/operator/') || /\/(menus|rate-limit|sync)$/.test(operation.path) && operation.method !== 'GET'
      const payload = operation.multipart ? multipartOf(body) : { body, type: 'application/json' }
      const id = `bench-${randomUUID()}`
      const headers: Record<string, string> = { 'content-type': payload.type, 'x-request-id': id }
      if (!operation.path.startsWith('/v1/registrations') && !operation.path.startsWith('/v1/sandbox/')) headers.authorization = `Bearer ${operatorRoute ? operatorToken() : memberToken()}`
      const started = performance.now()
      const response = await request(`${address}${urlOf(operation.path)}`, { method: operation.method as 'POST', headers, body: payload.body, dispatcher })
      await response.body.dump()
      const ms = performance.now() - started
      // onResponse runs after the answer is written: give it a turn.
      for (let i = 0; i < 20 && !cpuMsById.has(id); i++) await new Promise((resolve) => setTimeout(resolve, 1))
      const cpuMs = cpuMsById.get(id) ?? Number.NaN
      cpuMsById.delete(id)
      return { ms, cpuMs, status: response.statusCode }
    }
    const unrelated = async (): Promise<number> => {
      const started = performance.now()
      const response = await request(`${address}/health/live`, { dispatcher })
      await response.body.dump()
      return performance.now() - started
    }

    const rows: Row[] = []
    for (const operation of operations) {
      let worst: Row | undefined
      for (const testCase of casesFor(operation, shared)) {
        await send(operation, testCase.text)
        const requestTimes: number[] = []
        const cpuTimes: number[] = []
        const unrelatedTimes: number[] = []
        let status = 0
        for (let round = 0; round < ROUNDS; round++) {
          const inFlight = send(operation, testCase.text)
          // Sent just behind the big request, on another connection: it waits for whatever the big one blocks.
          await new Promise((resolve) => setImmediate(resolve))
          const [big, small] = await Promise.all([inFlight, unrelated()])
          requestTimes.push(big.ms)
          cpuTimes.push(big.cpuMs)
          unrelatedTimes.push(small)
          status = big.status
        }
        const row: Row = {
          operation: `${operation.method} ${operation.path}`,
          worstCase: testCase.label,
          cpuMs: median(cpuTimes),
          requestMs: median(requestTimes),
          unrelatedMs: median(unrelatedTimes),
          status,
          pass: false,
        }
        row.pass = row.cpuMs <= REQUEST_FLOOR_MS && row.unrelatedMs <= UNRELATED_FLOOR_MS && row.status < 500
        if (!worst || row.cpuMs > worst.cpuMs) worst = { ...row, pass: row.pass && (worst?.pass ?? true) }
        else worst.pass &&= row.pass
      }
      if (worst) rows.push(worst)
    }

    const pass = rows.every((row) => row.pass)
    const [load] = os.loadavg()
    const markdown = [
      `Worst request per operation with a body (median of ${ROUNDS}, over a loopback socket): it costs the gateway at most ${REQUEST_FLOOR_MS} ms of CPU, a GET /health/live sent meanwhile answers within ${UNRELATED_FLOOR_MS} ms, and nothing answers 5xx. Shapes tried per operation: huge arrays (invalid objects, duplicates), long strings, many unknown fields, wide objects, deep nesting, each just under the body limit (${DEFAULT_BODY_LIMIT / 1024} KiB for JSON, 64 KiB for the registration's form part).`,
      '',
      `Machine: ${os.cpus().length} cores, load average ${load?.toFixed(1)} (wall times stretch when the load exceeds the cores).`,
      '',
      '| Operation | Worst case | Status | CPU ms | Wall ms | /health/live ms | Floor held |',
      '| --- | --- | ---: | ---: | ---: | ---: | :---: |',
      ...rows.map(
        (row) =>
          `| \`${row.operation}\` | ${row.worstCase} | ${row.status} | ${row.cpuMs.toFixed(1)} | ${row.requestMs.toFixed(1)} | ${row.unrelatedMs.toFixed(1)} | ${row.pass ? 'yes' : '**no**'} |`,
      ),
    ].join('\n')
    return { title: 'Validation cost of the worst requests', markdown, pass }
  } finally {
    await resources.agent?.close()
    await resources.app?.close()
    await resources.sandbox?.close()
    await resources.database?.close()
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const part = await run()
  console.log(`## ${part.title}\n\n${part.markdown}\n`)
  process.exitCode = part.pass ? 0 : 1
}
