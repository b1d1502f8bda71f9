/**
 * `<PREFIX>-<year>-<10 base32 characters>`: 50 random bits, unguessable and easy to read out over
 * the phone (no 0/O or 1/I). Permits (`PRM`) and realisation reports (`RR`) are numbered this way.
 */
import { randomBytes } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function referenceNumber(prefix: string, now: Date): string {
  let code = ''
  for (const byte of randomBytes(10)) code += ALPHABET[byte & 31]
  return `${prefix}-${now.getUTCFullYear()}-${code}`
}
