import { createHmac, timingSafeEqual } from 'node:crypto'

const SIGNATURE_HEADER = /^sha256=([0-9a-fA-F]{64})$/

/** The `x-inatrade-signature` value for a raw callback body: `sha256=<hex HMAC-SHA256>`. */
export function signCallbackBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
}

/**
 * Checks an INATRADE callback's `x-inatrade-signature` against the raw body bytes (verify before
 * parsing: re-serialised JSON would not match). Constant-time; a missing or malformed header, or
 * an empty secret, is simply `false`.
 */
export function verifyCallbackSignature(rawBody: Buffer | string, header: string | undefined, secret: string): boolean {
  if (header === undefined || secret === '') return false
  const match = SIGNATURE_HEADER.exec(header.trim())
  if (match === null) return false
  const given = Buffer.from(match[1] as string, 'hex')
  const expected = createHmac('sha256', secret).update(rawBody).digest()
  return given.length === expected.length && timingSafeEqual(given, expected)
}
