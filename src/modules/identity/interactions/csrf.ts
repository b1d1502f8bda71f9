/**
 * CSRF defence for the HTML forms, in two layers: a POST must come from our own origin (the
 * browser's Origin header), and the login form carries a token bound to its interaction
 * (HMAC of the interaction id with the cookie key), which a foreign page cannot compute.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'

export function formToken(secret: string, binding: string): string {
  return createHmac('sha256', secret).update(`form:${binding}`).digest('base64url')
}

export function formTokenValid(secret: string, binding: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false
  const expected = Buffer.from(formToken(secret, binding))
  const actual = Buffer.from(presented)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** Same-origin POST: an Origin (or, failing that, Referer) that is not ours is refused. */
export function sameOrigin(request: FastifyRequest, publicUrl: string): boolean {
  const ours = new URL(publicUrl).origin
  const origin = request.headers.origin
  if (origin) return origin === ours
  const referer = request.headers.referer
  if (referer) {
    try {
      return new URL(referer).origin === ours
    } catch {
      return false
    }
  }
  // Non-browser clients send neither; the interaction cookie and form token still apply.
  return true
}
