/**
 * Access-token signatures per algorithm, in process: sign and verify cost of a realistic RFC 9068
 * `at+jwt` through fast-jwt, configured as the gateway's resource server (src/plugins/auth.ts,
 * minus its verified-token cache). Justifies SIGNING_ALGORITHM in src/identity/keys.ts:
 * each token is signed once and verified about once per instance (then cached), so the cost that
 * matters is sign + one verification. Interleaved rounds, median.
 */
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { SIGNING_ALGORITHM } from '../../src/identity/keys.ts'
import { fmtMicros, fmtRate, fmtRatio, markdownTable, median, verdict } from './format.ts'
import type { BenchPart } from './part.ts'

type Algorithm = 'RS256' | 'ES256' | 'EdDSA'
const BUDGET_MS = 300
const ROUNDS = 5
/** The chosen algorithm may cost this much more per token than the cheapest before the run fails. */
const TOLERANCE = 1.25

const ISSUER = 'https://gateway.insw.example/oidc'
const AUDIENCE = 'https://gateway.insw.example/v1'

function keyPair(alg: Algorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 })
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return generateKeyPairSync('ed25519')
}

/** The claims the provider puts in a person's access token. */
function claims(): Record<string, unknown> {
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
  }
}

function rate(fn: () => unknown, budgetMs: number): number {
  let count = 0
  const started = performance.now()
  let now = started
  while (now - started < budgetMs) {
    for (let i = 0; i < 4; i++) fn()
    count += 4
    now = performance.now()
  }
  return (count * 1000) / (now - started)
}

export async function run(): Promise<BenchPart> {
  const algorithms: Algorithm[] = ['RS256', 'ES256', 'EdDSA']
  const cases = algorithms.map((alg) => {
    const { privateKey, publicKey } = keyPair(alg)
    const signer = createSigner({ key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, algorithm: alg, kid: 'bench', header: { alg, typ: 'at+jwt' } })
    const verifier = createVerifier({
      key: publicKey.export({ format: 'pem', type: 'spki' }) as string,
      algorithms: [alg],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'iss', 'aud'],
      checkTyp: 'at+jwt',
      cache: false,
    })
    const payload = claims()
    const token = signer(payload)
    verifier(token)
    return { alg, bytes: token.length, sign: () => signer(payload), verify: () => verifier(token), signRates: [] as number[], verifyRates: [] as number[] }
  })
  for (const entry of cases) {
    rate(entry.sign, 50)
    rate(entry.verify, 50)
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let offset = 0; offset < cases.length; offset++) {
      const entry = cases[(offset + round) % cases.length]!
      entry.signRates.push(rate(entry.sign, BUDGET_MS / ROUNDS))
      entry.verifyRates.push(rate(entry.verify, BUDGET_MS / ROUNDS))
    }
  }
  const rows = cases.map((entry) => {
    const sign = median(entry.signRates)
    const verify = median(entry.verifyRates)
    return { alg: entry.alg, bytes: entry.bytes, sign, verify, perToken: 1e6 / sign + 1e6 / verify }
  })
  const rs256 = rows.find((row) => row.alg === 'RS256')!
  const chosen = rows.find((row) => row.alg === SIGNING_ALGORITHM)!
  const cheapest = rows.reduce((best, row) => (row.perToken < best.perToken ? row : best))
  const pass = chosen.perToken <= cheapest.perToken * TOLERANCE
  const markdown = [
    `fast-jwt as the resource server uses it, verified-token cache off; ${ROUNDS} interleaved rounds, median. A token is signed once and verified about once per instance (then cached).`,
    '',
    markdownTable(
      ['algorithm', 'token bytes', 'signs/s', '× RS256', 'verifies/s', '× RS256', 'sign + verify'],
      rows.map((row) => [row.alg, String(row.bytes), fmtRate(row.sign), fmtRatio(row.sign / rs256.sign), fmtRate(row.verify), fmtRatio(row.verify / rs256.verify), fmtMicros(row.perToken)]),
    ),
    '',
    `Chosen: ${SIGNING_ALGORITHM}, ${fmtMicros(chosen.perToken)} per token; cheapest ${cheapest.alg} ${fmtMicros(cheapest.perToken)}: ` +
      `${verdict(pass)} (chosen ≤ ${TOLERANCE}× the cheapest).`,
  ].join('\n')
  return { title: 'Access-token signatures', markdown, pass }
}
