/** What the figures were measured on: they depend on it, the ratios much less. */
import os from 'node:os'

export function describeMachine(): string {
  const cpus = os.cpus()
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} core(s) (os.availableParallelism ${os.availableParallelism()})`,
    `- Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node ${process.version}`,
    `- Load average at start: ${os.loadavg().map((value) => value.toFixed(2)).join(', ')}`,
  ].join('\n')
}
