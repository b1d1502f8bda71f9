/**
 * The example webhook receiver (examples/webhook-receiver.ts) in a process of its own, for the
 * notifications part: the receiver is the integrator's system, so it gets the CPU a separate
 * server would. BENCH_WEBHOOK_SECRET signs, PORT is chosen by the bench (the webhook's URL must
 * exist before its secret does).
 */
import { createWebhookReceiver } from '../../examples/webhook-receiver.ts'
import { answerParent, memoryFigures, send } from './child-ipc.ts'

const receiver = createWebhookReceiver({ secret: process.env.BENCH_WEBHOOK_SECRET! })
const port = Number(process.env.PORT)
await new Promise<void>((resolve) => receiver.server.listen(port, '127.0.0.1', resolve))
answerParent()
send({ type: 'ready', port, memory: memoryFigures(false) })
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => receiver.server.close(() => process.exit(0)))
}
