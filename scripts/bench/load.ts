/**
 * The load generator: wrk (Debian package `wrk`), a C program in its own process, so nearly all
 * of the CPU left goes to the server under test. A Lua `done` hook prints exact figures as JSON
 * (requests, non-2xx/3xx answers, socket errors, latency percentiles in microseconds).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface LoadRequest {
  method?: 'GET' | 'POST'
  /** Absolute URL. */
  url: string
  headers?: Record<string, string>
  body?: string
  /**
   * Every request unique (a submission with a fresh Idempotency-Key and client reference): each
   * `{{unique}}` in the body is replaced, and this header set, to a value no other request of the
   * run carries.
   */
  uniqueHeader?: string
}

export interface LoadResult {
  requestsPerSecond: number
  /** Microseconds. */
  p50: number
  p99: number
  requests: number
  /** Answers other than 2xx/3xx plus socket errors: any makes the figure suspect. */
  failures: number
}

export interface LoadOptions {
  seconds: number
  connections: number
}

/** Stops with instructions when wrk is missing, rather than measuring with something slower. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary matters here.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('wrk is not installed. On Debian/Ubuntu: sudo apt-get install -y wrk (macOS: brew install wrk).', { cause: error })
    }
  }
}

const luaString = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`

let scriptDir: string | undefined

/** One Lua script per request shape: method, body and headers, then the JSON report. */
function luaScript(request: LoadRequest): string {
  scriptDir ??= mkdtempSync(path.join(tmpdir(), 'bench-wrk-'))
  const lines = [`wrk.method = ${luaString(request.method ?? 'GET')}`]
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`)
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`)
  if (request.uniqueHeader !== undefined) {
    // A prefix per wrk run (time and a random number) and a counter per request.
    lines.push(
      'local counter = 0',
      'local prefix = nil',
      'function request()',
      '  if prefix == nil then math.randomseed(os.time() + math.floor(os.clock() * 1000000)); prefix = string.format("%x-%x", os.time(), math.random(0, 2147483646)) end',
      '  counter = counter + 1',
      '  local unique = prefix .. "-" .. counter',
      `  wrk.headers[${luaString(request.uniqueHeader)}] = unique`,
      '  local body = nil',
      '  if wrk.body ~= nil then body = string.gsub(wrk.body, "{{unique}}", unique) end',
      '  return wrk.format(nil, nil, nil, body)',
      'end',
    )
  }
  lines.push(
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("BENCH_JSON {\\"requests\\":%d,\\"micros\\":%d,\\"status\\":%d,\\"socket\\":%d,\\"p50\\":%d,\\"p99\\":%d}\\n",',
    '    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))',
    'end',
  )
  const file = path.join(scriptDir, `${Math.random().toString(36).slice(2)}.lua`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const scripts = new Map<LoadRequest, string>()

export async function load(request: LoadRequest, options: LoadOptions): Promise<LoadResult> {
  let script = scripts.get(request)
  if (!script) scripts.set(request, (script = luaScript(request)))
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '5s', '-s', script, request.url]
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`wrk exited ${code}: ${stderr || stdout}`))))
  })
  const json = output.split('\n').find((line) => line.startsWith('BENCH_JSON '))
  if (!json) throw new Error(`wrk printed no figures:\n${output}`)
  const figures = JSON.parse(json.slice('BENCH_JSON '.length)) as { requests: number; micros: number; status: number; socket: number; p50: number; p99: number }
  return {
    requestsPerSecond: (figures.requests * 1e6) / figures.micros,
    p50: figures.p50,
    p99: figures.p99,
    requests: figures.requests,
    failures: figures.status + figures.socket,
  }
}
