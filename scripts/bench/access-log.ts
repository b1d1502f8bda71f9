/**
 * Micro-benchmark of the access-log line (issue 9, floor: ≤ 3 µs a line). Measures the gateway's
 * allow-listed line (src/access-log.ts, URL masking included) against the way it was written
 * before, as a baseline: pino's `request.log.info(fields)` through a request child logger with
 * redaction by 57 paths (34 wildcards), and the same pino call without redaction. Every case
 * writes to an in-memory sink, so the figures are CPU per line, not the disk's speed.
 * CPU time (not wall time: the machine is shared), interleaved rounds, median; runs on its own: `node scripts/bench/access-log.ts`.
 */
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import { accessLogWriter, type AccessLogEntry } from '../../src/access-log.ts'
import { loggerOptions, maskUrl } from '../../src/logger.ts'
import type { BenchPart } from './part.ts'

const FLOOR_MICROS = 3
const ROUNDS = 7
const LINES_PER_ROUND = 20_000
const WARMUP_LINES = 20_000

/** The redaction the access line went through before: 17 fields at three depths plus 6 header paths. */
const OLD_SENSITIVE_FIELDS = [
  'password', 'newPassword', 'currentPassword', 'secret', 'clientSecret', 'client_secret',
  'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'id_token', 'code_verifier',
  'nik', 'npwp', 'identityNumber', 'otp',
]
const OLD_REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie',
  ...OLD_SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
]

/** URLs as the gateway sees them: health, an authenticated read, a paged list, a query with personal data. */
const URLS = [
  '/health/live',
  '/v1/me',
  '/v1/orgs/0b6a3f2e-6c1d-4a57-9d0e-2f4b8c1a7e93/users?limit=20&cursor=eyJpZCI6IjEyMyJ9',
  '/v1/sandbox/mailbox?to=applicant%40example.co.id&lang=id',
]

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() })
}

function entry(i: number): AccessLogEntry {
  return {
    requestId: '5f0c8a0e-9d7b-4f7e-8a3c-1b2d3e4f5a6b',
    method: 'GET',
    url: URLS[i % URLS.length]!,
    statusCode: 200,
    responseTimeMs: 0.4,
    remoteAddress: '127.0.0.1',
  }
}

type Case = { name: string; note: string; line: (i: number) => void }

function cases(): Case[] {
  const options = loggerOptions('info')
  const current = pino(options, sink())
  const write = accessLogWriter(current)
  if (!write) throw new Error('the gateway logger has no destination to write access lines to')
  const oldChild = pino({ ...options, redact: { paths: OLD_REDACT_PATHS, censor: '[Redacted]' } }, sink()).child({ requestId: entry(0).requestId })
  const plainChild = pino({ ...options, redact: undefined }, sink()).child({ requestId: entry(0).requestId })
  const viaPino = (logger: pino.Logger) => (i: number) => {
    const e = entry(i)
    logger.info({ method: e.method, url: maskUrl(e.url), statusCode: e.statusCode, responseTimeMs: e.responseTimeMs, remoteAddress: e.remoteAddress }, 'request completed')
  }
  return [
    { name: 'allow-listed line (src/access-log.ts)', note: 'the gateway now', line: (i) => write(entry(i)) },
    { name: 'pino + redaction, 57 paths (34 wildcards)', note: 'before: baseline', line: viaPino(oldChild) },
    { name: 'pino, no redaction', note: 'reference', line: viaPino(plainChild) },
  ]
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Microseconds per line for each case: median over interleaved rounds (each round starts with another case). */
function measure(all: Case[]): number[] {
  for (const c of all) for (let i = 0; i < WARMUP_LINES; i++) c.line(i)
  const samples: number[][] = all.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < all.length; k++) {
      const index = (k + round) % all.length
      const c = all[index]!
      // CPU time, not wall time: on a shared machine the process is descheduled at random.
      const started = process.cpuUsage()
      for (let i = 0; i < LINES_PER_ROUND; i++) c.line(i)
      const spent = process.cpuUsage(started)
      samples[index]!.push((spent.user + spent.system) / LINES_PER_ROUND)
    }
  }
  return samples.map(median)
}

export async function run(): Promise<BenchPart> {
  const all = cases()
  const micros = measure(all)
  const ours = micros[0]!
  const pass = ours <= FLOOR_MICROS
  const rows = all.map((c, i) => {
    const verdict = i === 0 ? `≤ ${FLOOR_MICROS} µs: ${pass ? 'PASS' : 'FAIL'}` : `${(micros[i]! / ours).toFixed(1)}× the line's cost`
    return `| ${c.name} | ${c.note} | ${micros[i]!.toFixed(2)} | ${verdict} |`
  })
  const markdown = [
    `Microseconds of CPU per access-log line (process CPU time, in-memory sink, ${ROUNDS} interleaved rounds of ${LINES_PER_ROUND.toLocaleString('en')} lines, median; URLs rotate over ${URLS.length} shapes, masking included).`,
    '',
    '| case | | µs/line | floor |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n')
  return { title: 'Access-log line', markdown, pass }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const part = await run()
  console.log(`## ${part.title}\n\n${part.markdown}\n`)
  process.exitCode = part.pass ? 0 : 1
}
