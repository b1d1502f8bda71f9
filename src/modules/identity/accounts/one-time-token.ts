/** Single-use tokens mailed to people: 256 random bits, stored only as a SHA-256 digest. */
import { createHash, randomBytes } from 'node:crypto'

export function generateOneTimeToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashOneTimeToken(token) }
}

export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
