/**
 * `npm run bench`: runs each part in turn, prints its Markdown, writes them all to
 * bench/results.md with the machine, and exits non-zero when any floor failed.
 * A part is a module exporting `run(): Promise<BenchPart>`; add one with one line below.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describeMachine } from './machine.ts'
import type { BenchPart } from './part.ts'

const PARTS: { name: string; load: () => Promise<{ run: () => Promise<BenchPart> }> }[] = [
  { name: 'signatures', load: () => import('./signatures.ts') },
  { name: 'sockets', load: () => import('./sockets.ts') },
  { name: 'permits', load: () => import('./permits.ts') },
  { name: 'notifications', load: () => import('./notifications.ts') },
  { name: 'mixed', load: () => import('./mixed.ts') },
  { name: 'access-log', load: () => import('./access-log.ts') },
  { name: 'validation-cost', load: () => import('./validation-cost.ts') },
]

const WATCHDOG_MS = 25 * 60_000
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 60_000} min, giving up`)
  process.exit(1)
}, WATCHDOG_MS)
watchdog.unref()

const only = process.env.BENCH_ONLY?.split(',').filter(Boolean)
const started = performance.now()
const machine = describeMachine()
console.log(`# npm run bench\n\n${machine}\n`)
const sections: BenchPart[] = []
for (const part of PARTS) {
  if (only && !only.includes(part.name)) continue
  console.error(`bench: ${part.name}…`)
  let result: BenchPart
  try {
    result = await (await part.load()).run()
  } catch (error) {
    result = { title: part.name, markdown: `FAIL: the part did not finish: ${(error as Error).stack ?? String(error)}`, pass: false }
  }
  sections.push(result)
  console.log(`## ${result.title}: ${result.pass ? 'PASS' : 'FAIL'}\n\n${result.markdown}\n`)
}
const pass = sections.every((section) => section.pass)
const minutes = ((performance.now() - started) / 60_000).toFixed(1)
const note = process.env.BENCH_NOTE ? `\n${process.env.BENCH_NOTE}\n` : ''
const document = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString()} in ${minutes} min; overall ${pass ? 'PASS' : 'FAIL'}.`,
  note,
  '## Machine',
  '',
  machine,
  '',
  ...sections.flatMap((section) => [`## ${section.title}: ${section.pass ? 'PASS' : 'FAIL'}`, '', section.markdown, '']),
].join('\n')
const file = path.resolve('bench/results.md')
if (!only) {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, document)
}
console.log(`bench: ${pass ? 'every floor held' : 'a floor FAILED'} (${minutes} min)${only ? '' : `; written to ${path.relative(process.cwd(), file)}`}`)
clearTimeout(watchdog)
process.exitCode = pass ? 0 : 1
