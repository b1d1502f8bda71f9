/**
 * Benchmarks (`npm run bench`). Prints ratios against a baseline measured in the same run, never
 * absolute thresholds: the numbers depend on the machine, the ratios much less.
 *
 * A. Access-token signatures per algorithm (RS256 is the baseline): sign and verify cost of a
 *    realistic RFC 9068 `at+jwt`, both through fast-jwt configured as the gateway's resource server
 *    (what runs on every request) and as the bare node:crypto primitive. Justifies the RS256 choice
 *    in src/modules/identity/oidc/keys.ts.
 * B. The gateway end to end through `app.inject` (in-memory PGlite, sandbox upstreams): GET
 *    /health/live (baseline, no auth) against GET /v1/me with a real client-credentials token,
 *    first call per token (verified-token cache miss) and repeated calls (cache hit); plus a probe
 *    route that only authenticates, to separate token handling from the /v1/me database reads.
 *
 * Bounded: a time budget per case after a warm-up, a fixed number of tokens for first calls, and
 * a watchdog for the whole run. Options: BENCH_SCALE=0.5 halves every budget.
 */
import { constants, generateKeyPairSync, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto'
import os from 'node:os'
import { createSigner, createVerifier } from 'fast-jwt'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts'
import { startSandbox, type Sandbox } from '../src/sandbox/start-sandbox.ts'

const SCALE = Math.min(Math.max(Number(process.env.BENCH_SCALE ?? 1) || 1, 0.1), 2)
const WATCHDOG_MS = 120_000
/** Per case, spread over the rounds. */
const CRYPTO_BUDGET_MS = 500 * SCALE
const HTTP_BUDGET_MS = 2000 * SCALE
const WARMUP_MS = 100 * SCALE
const ROUNDS = 7
/** Distinct tokens per cache-miss case: each is presented exactly once. */
const FIRST_CALL_TOKENS = ROUNDS * Math.round(20 * SCALE)

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s, giving up`)
  process.exit(1)
}, WATCHDOG_MS)
watchdog.unref()

interface Result {
  /** Median over the rounds. */
  opsPerSecond: number
  /** Mean microseconds per operation, from the median rate. */
  micros: number
  samples: number
  /** (max - min) / median of the per-round rates: how noisy the machine was. */
  spread: number
}

/** One way to exercise a case: a callable run for a time slice, or a list of items used once each. */
type SyncCase = () => unknown
type AsyncCase = { each: () => Promise<unknown> } | { items: unknown[]; once: (item: unknown) => Promise<unknown> }

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function summarise(rates: number[], samples: number): Result {
  const rate = median(rates)
  return { opsPerSecond: rate, micros: 1e6 / rate, samples, spread: (Math.max(...rates) - Math.min(...rates)) / rate }
}

/** Round `round` visits the cases starting at a different one, so no case always runs first. */
function rotated<T>(items: T[], round: number): [T, number][] {
  return items.map((_, i) => [items[(i + round) % items.length]!, (i + round) % items.length])
}

/**
 * Interleaved rounds: every case gets a slice of each round, so a machine that gets busier or
 * quieter mid-run (other jobs on the same cores) affects all cases alike. Median rate per case.
 */
function measureSync(cases: SyncCase[], budgetMs: number): Result[] {
  for (const fn of cases) {
    const warmupEnd = performance.now() + WARMUP_MS
    while (performance.now() < warmupEnd) fn()
  }
  const rates: number[][] = cases.map(() => [])
  const samples = cases.map(() => 0)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [fn, index] of rotated(cases, round)) {
      let count = 0
      const started = performance.now()
      let now = started
      while (now - started < budgetMs / ROUNDS) {
        for (let i = 0; i < 8; i++) fn()
        count += 8
        now = performance.now()
      }
      rates[index]!.push((count * 1000) / (now - started))
      samples[index]! += count
    }
  }
  return rates.map((caseRates, index) => summarise(caseRates, samples[index]!))
}

async function measureAsync(cases: AsyncCase[], budgetMs: number): Promise<Result[]> {
  const rates: number[][] = cases.map(() => [])
  const samples = cases.map(() => 0)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [entry, index] of rotated(cases, round)) {
      let count = 0
      const started = performance.now()
      if ('each' in entry) {
        while (performance.now() - started < budgetMs / ROUNDS) {
          await entry.each()
          count++
        }
      } else {
        const share = Math.floor(entry.items.length / ROUNDS)
        for (const item of entry.items.slice(round * share, (round + 1) * share)) {
          await entry.once(item)
          count++
        }
      }
      rates[index]!.push((count * 1000) / (performance.now() - started))
      samples[index]! += count
    }
  }
  return rates.map((caseRates, index) => summarise(caseRates, samples[index]!))
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)))
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

const fmtOps = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1))
const fmtMicros = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1))
const fmtRatio = (value: number) => `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`

// ---------------------------------------------------------------------------------------------
// A. Signature algorithms
// ---------------------------------------------------------------------------------------------

type Algorithm = 'RS256' | 'ES256' | 'EdDSA' | 'PS256'

interface AlgorithmCase {
  alg: Algorithm
  label: string
  privateKey: KeyObject
  publicKey: KeyObject
  /** Bare node:crypto verification of the JWS signing input, as JWS defines it for this algorithm. */
  rawVerify: (data: Buffer, signature: Buffer) => boolean
}

function algorithmCases(): AlgorithmCase[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
  return [
    {
      alg: 'RS256',
      label: 'RS256 (RSA-2048, PKCS#1 v1.5)',
      ...rsa,
      rawVerify: (data, signature) => verify('sha256', data, rsa.publicKey, signature),
    },
    {
      alg: 'PS256',
      label: 'PS256 (RSA-2048, PSS)',
      ...rsa,
      rawVerify: (data, signature) => verify('sha256', data, { key: rsa.publicKey, ...pss }, signature),
    },
    {
      alg: 'ES256',
      label: 'ES256 (ECDSA P-256)',
      ...ec,
      rawVerify: (data, signature) => verify('sha256', data, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    },
    {
      alg: 'EdDSA',
      label: 'EdDSA (Ed25519)',
      ...ed,
      rawVerify: (data, signature) => verify(null, data, ed.publicKey, signature),
    },
  ]
}

const ISSUER = 'https://gateway.insw.example/oidc'
const AUDIENCE = 'https://gateway.insw.example/v1'

/** The claims the gateway's provider puts in a person's access token (see provider.ts). */
function accessTokenClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    jti: randomBytes(32).toString('base64url'),
    sub: randomUUID(),
    iat: now,
    exp: now + 300,
    scope: 'openid profile email offline_access org:read org:admin permits:read permits:write reports:read',
    client_id: 'swagger-ui',
    iss: ISSUER,
    aud: AUDIENCE,
    org_id: randomUUID(),
    level: 'super_admin',
    preferred_username: 'budi.santoso.a1b2',
  }
}

interface AlgorithmRow {
  alg: Algorithm
  label: string
  tokenBytes: number
  sign: Result
  verifyJwt: Result
  verifyRaw: Result
}

function benchAlgorithms(): AlgorithmRow[] {
  const prepared = algorithmCases().map((entry) => {
    const privatePem = entry.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    // The resource server is handed a PEM per kid (src/plugins/auth.ts); so is this verifier.
    const publicPem = entry.publicKey.export({ format: 'pem', type: 'spki' }) as string
    const signer = createSigner({ key: privatePem, algorithm: entry.alg, kid: `bench-${entry.alg}`, header: { alg: entry.alg, typ: 'at+jwt' } })
    // As configured in src/plugins/auth.ts, minus the verified-token cache: every call verifies.
    const verifier = createVerifier({
      key: publicPem,
      algorithms: [entry.alg],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'iss', 'aud'],
      checkTyp: 'at+jwt',
      cache: false,
    })
    const claims = accessTokenClaims()
    const token = signer(claims)
    verifier(token) // throws here if the token and the verifier disagree
    const dot = token.lastIndexOf('.')
    const signingInput = Buffer.from(token.slice(0, dot))
    const signature = Buffer.from(token.slice(dot + 1), 'base64url')
    if (!entry.rawVerify(signingInput, signature)) throw new Error(`${entry.alg}: node:crypto disagrees with fast-jwt`)
    return {
      entry,
      token,
      cases: [() => signer(claims), () => verifier(token), () => entry.rawVerify(signingInput, signature)] as SyncCase[],
    }
  })
  const results = measureSync(
    prepared.flatMap(({ cases }) => cases),
    CRYPTO_BUDGET_MS,
  )
  return prepared.map(({ entry, token }, index) => ({
    alg: entry.alg,
    label: entry.label,
    tokenBytes: token.length,
    sign: results[index * 3]!,
    verifyJwt: results[index * 3 + 1]!,
    verifyRaw: results[index * 3 + 2]!,
  }))
}

// ---------------------------------------------------------------------------------------------
// B. The gateway end to end
// ---------------------------------------------------------------------------------------------

const PUBLIC_URL = 'http://gateway.bench'
const PROBE_PATH = '/v1/bench-probe'

async function mintClientToken(app: FastifyInstance, client: { clientId: string; clientSecret: string }): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')
  const response = await app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials&scope=org%3Aread',
  })
  if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}: ${response.body}`)
  return (response.json() as { access_token: string }).access_token
}

interface GatewayRows {
  rows: { label: string; result: Result }[]
  baseline: Result
}

async function benchGateway(resources: { database?: DatabaseHandle; sandbox?: Sandbox; app?: FastifyInstance }): Promise<GatewayRows> {
  resources.database = await openDatabase({})
  resources.sandbox = await startSandbox({ logger: false })
  const { ossUrl, djpUrl, inatradeUrl } = resources.sandbox
  const app = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL }),
    database: resources.database,
    upstreamUrls: { ossUrl, djpUrl, inatradeUrl },
    // Budgets out of the way: this measures request cost, not the limiter's refusals.
    rateLimits: { apiPerMinute: 1e9, tokenPerMinute: 1e9 },
  })
  resources.app = app
  // Authentication and nothing else: separates token handling from /v1/me's database reads.
  app.get(PROBE_PATH, { schema: { hide: true } }, async (request) => ({ kind: request.principal?.kind }))
  await app.ready()

  const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
  if (created.statusCode !== 201) throw new Error(`test organisation not created (${created.statusCode}): ${created.body}`)
  const inhouse = (created.json() as { clients: { kind: string; clientId: string; clientSecret: string }[] }).clients.find((c) => c.kind === 'inhouse')
  if (!inhouse) throw new Error('the test organisation has no inhouse client')

  const get = async (url: string, token?: string) => {
    const response = await app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} })
    if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body}`)
    return response
  }
  const me = (await get('/v1/me', await mintClientToken(app, inhouse))).json() as { kind: string }
  if (me.kind !== 'client') throw new Error(`/v1/me did not see a machine client: ${JSON.stringify(me)}`)

  const warmupTokens = await Promise.all(Array.from({ length: 20 }, () => mintClientToken(app, inhouse)))
  const mint = async (count: number) => {
    const tokens: string[] = []
    for (let i = 0; i < count; i++) tokens.push(await mintClientToken(app, inhouse))
    return tokens
  }
  const probeTokens = await mint(FIRST_CALL_TOKENS)
  const meTokens = await mint(FIRST_CALL_TOKENS)
  const repeated = await mintClientToken(app, inhouse)
  // Warm both paths through a miss first, so first calls below are not also the first JIT runs.
  for (const token of warmupTokens.slice(0, 10)) await get(PROBE_PATH, token)
  for (const token of warmupTokens.slice(10)) await get('/v1/me', token)

  const labels = [
    'GET /health/live (no auth)',
    'auth probe, first call per token (cache miss)',
    'auth probe, same token again (cache hit)',
    'GET /v1/me, first call per token (cache miss)',
    'GET /v1/me, same token again (cache hit)',
  ]
  const results = await measureAsync(
    [
      { each: () => get('/health/live') },
      { items: probeTokens, once: (token) => get(PROBE_PATH, token as string) },
      { each: () => get(PROBE_PATH, repeated) },
      { items: meTokens, once: (token) => get('/v1/me', token as string) },
      { each: () => get('/v1/me', repeated) },
    ],
    HTTP_BUDGET_MS,
  )
  const rows = labels.map((label, index) => ({ label, result: results[index]! }))
  const baseline = results[0]!
  return { rows, baseline }
}

// ---------------------------------------------------------------------------------------------

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`
const speed = (row: AlgorithmRow, baseline: AlgorithmRow) => row.verifyJwt.opsPerSecond / baseline.verifyJwt.opsPerSecond

async function main(): Promise<void> {
  const started = performance.now()
  const cpus = os.cpus()
  console.log(
    `bench: node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? 'unknown'}), ` +
      `load average ${os.loadavg()[0]!.toFixed(1)}, scale ${SCALE}, ${ROUNDS} interleaved rounds per table`,
  )

  let phase = performance.now()
  console.log('\nA. Access-token signatures: a realistic at+jwt, ops/s and ratio to RS256 (> 1 = faster)\n')
  const algorithms = benchAlgorithms()
  const rs256 = algorithms.find((row) => row.alg === 'RS256')!
  console.log(
    table(
      ['algorithm', 'token B', 'sign/s', '× RS256', 'verify/s fast-jwt', '× RS256', 'verify/s crypto', '× RS256'],
      algorithms.map((row) => [
        row.label,
        String(row.tokenBytes),
        fmtOps(row.sign.opsPerSecond),
        fmtRatio(row.sign.opsPerSecond / rs256.sign.opsPerSecond),
        fmtOps(row.verifyJwt.opsPerSecond),
        fmtRatio(speed(row, rs256)),
        fmtOps(row.verifyRaw.opsPerSecond),
        fmtRatio(row.verifyRaw.opsPerSecond / rs256.verifyRaw.opsPerSecond),
      ]),
    ),
  )
  const spreadA = Math.max(...algorithms.flatMap((row) => [row.sign.spread, row.verifyJwt.spread, row.verifyRaw.spread]))
  console.log(
    `\nfast-jwt = the resource server's verifier as configured in src/plugins/auth.ts (cache off); crypto = node:crypto verify alone.` +
      `\nRound-to-round spread up to ${Math.round(spreadA * 100)}%; ${seconds(phase)}.`,
  )

  phase = performance.now()
  console.log('\nB. The gateway through app.inject, one request at a time; cost relative to GET /health/live\n')
  const resources: { database?: DatabaseHandle; sandbox?: Sandbox; app?: FastifyInstance } = {}
  let gateway: GatewayRows
  try {
    gateway = await benchGateway(resources)
  } finally {
    await resources.app?.close()
    await resources.sandbox?.close()
    await resources.database?.close()
  }
  console.log(
    table(
      ['request', 'calls', 'req/s', 'µs/req', '× cost'],
      gateway.rows.map(({ label, result }) => [
        label,
        String(result.samples),
        fmtOps(result.opsPerSecond),
        fmtMicros(result.micros),
        fmtRatio(result.micros / gateway.baseline.micros),
      ]),
    ),
  )
  const [, probeMiss, probeHit, meMiss, meHit] = gateway.rows.map((row) => row.result) as Result[]
  const saved = probeMiss!.micros - probeHit!.micros
  const spreadB = Math.max(...gateway.rows.map((row) => row.result.spread))
  console.log(
    `\nauth probe = a /v1 route that only authenticates. A cache hit saves ${fmtMicros(saved)} µs per request there ` +
      `(one RS256 verification in A: ${fmtMicros(rs256.verifyJwt.micros)} µs) and ${Math.round((1 - meHit!.micros / meMiss!.micros) * 100)}% of a GET /v1/me, ` +
      `whose embedded-database reads dominate.\nRound-to-round spread up to ${Math.round(spreadB * 100)}%; ${seconds(phase)} including setup.`,
  )

  // RS256 and PS256 are the same RSA public-key operation; the choice that matters is RSA vs the curves.
  const curves = algorithms.filter((row) => row.alg === 'ES256' || row.alg === 'EdDSA')
  const fastestCurve = curves.reduce((best, row) => (speed(row, rs256) > speed(best, rs256) ? row : best))
  const ps256 = algorithms.find((row) => row.alg === 'PS256')!
  const signingCost = curves.map((row) => row.sign.opsPerSecond / rs256.sign.opsPerSecond)
  console.log(
    '\nConclusion: ' +
      (speed(fastestCurve, rs256) < 1
        ? `RS256 verifies ${curves.map((row) => `${fmtRatio(1 / speed(row, rs256))} as fast as ${row.alg}`).join(' and ')} ` +
          `(PS256 ${fmtRatio(speed(ps256, rs256))}: same RSA operation), which is what runs on every request; ` +
          `its ${fmtRatio(Math.min(...signingCost))}-${fmtRatio(Math.max(...signingCost))} costlier signing happens once per token`
        : `${fastestCurve.alg} verifies ${fmtRatio(speed(fastestCurve, rs256))} as fast as RS256 on this machine, so the RS256 rationale in src/modules/identity/oidc/keys.ts does not hold here`) +
      `; the verified-token cache makes a repeat call ${fmtRatio(probeMiss!.micros / probeHit!.micros)} cheaper on the auth path (total ${seconds(started)}).`,
  )
}

await main()
clearTimeout(watchdog)
