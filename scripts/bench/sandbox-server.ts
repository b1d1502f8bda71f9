/**
 * The sandbox upstreams in a process of their own, for the permits part: INATRADE is another
 * system, so the stub measured alone (d) and the stub a gateway drains to (e) each get the CPU a
 * separate server would, instead of sharing the gateway's event loop. Listens on ephemeral ports
 * and reports them over IPC (the INATRADE port as `port`, all three origins beside it).
 */
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { answerParent, memoryFigures, send } from './child-ipc.ts'

const sandbox = await startSandbox({ callbackSecret: process.env.INATRADE_CALLBACK_SECRET, logger: false })
answerParent()
send({
  type: 'ready',
  port: Number(new URL(sandbox.inatradeUrl).port),
  memory: memoryFigures(false),
  inatradeUrl: sandbox.inatradeUrl,
  upstreams: { OSS_URL: sandbox.ossUrl, DJP_URL: sandbox.djpUrl, INATRADE_URL: sandbox.inatradeUrl },
})
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void sandbox.close().finally(() => process.exit(0)))
}
