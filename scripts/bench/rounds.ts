/**
 * Interleaved rounds: every case once per round, each round starting at another case, so a
 * machine getting busier or quieter during the run affects every case alike; medians of the rounds.
 */
import { median } from './format.ts'
import { load, type LoadRequest, type LoadResult } from './load.ts'

export interface RoundCase {
  request: LoadRequest
  /** Runs before each warm-up and round of this case (e.g. switch a sandbox upstream's mode). */
  before?: () => Promise<void>
}

export interface RoundFigures {
  rounds: LoadResult[]
  requestsPerSecond: number
  p50: number
  p99: number
  failures: number
}

export interface RoundOptions {
  rounds: number
  seconds: number
  warmupSeconds: number
  connections: number
  log: (line: string) => void
  /** Runs once after the warm-up, before the first measured round. */
  afterWarmup?: () => Promise<void>
}

export async function measureInterleaved(cases: RoundCase[], options: RoundOptions): Promise<RoundFigures[]> {
  options.log(`warm-up: ${options.warmupSeconds} s per case`)
  for (const entry of cases) {
    await entry.before?.()
    await load(entry.request, { seconds: options.warmupSeconds, connections: options.connections })
  }
  await options.afterWarmup?.()
  const rounds: LoadResult[][] = cases.map(() => [])
  for (let round = 0; round < options.rounds; round++) {
    for (let offset = 0; offset < cases.length; offset++) {
      const index = (offset + round * 3) % cases.length
      await cases[index]!.before?.()
      rounds[index]!.push(await load(cases[index]!.request, { seconds: options.seconds, connections: options.connections }))
    }
    options.log(`round ${round + 1}/${options.rounds} done`)
  }
  return rounds.map((results) => ({
    rounds: results,
    requestsPerSecond: median(results.map((result) => result.requestsPerSecond)),
    p50: median(results.map((result) => result.p50)),
    p99: median(results.map((result) => result.p99)),
    failures: results.reduce((sum, result) => sum + result.failures, 0),
  }))
}
