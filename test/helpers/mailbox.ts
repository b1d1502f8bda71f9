/** The sandbox mailbox, for tests. Some mail is written just after the answer (forgot-password), so reads may wait. */
import type { FastifyInstance } from 'fastify'

export interface SandboxMail {
  id: string
  to: string
  subject: string
  text: string
  template: string
  createdAt: string
}

export async function mailbox(app: FastifyInstance, to: string): Promise<SandboxMail[]> {
  const response = await app.inject({ method: 'GET', url: `/v1/sandbox/mailbox?to=${encodeURIComponent(to)}` })
  if (response.statusCode !== 200) throw new Error(`mailbox: ${response.statusCode} ${response.body}`)
  return response.json().items as SandboxMail[]
}

/** Waits (up to `timeoutMs`) until at least `count` mails reached `to`; returns them newest first. */
export async function waitForMail(app: FastifyInstance, to: string, count = 1, timeoutMs = 3000): Promise<SandboxMail[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const items = await mailbox(app, to)
    if (items.length >= count || Date.now() > deadline) return items
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
