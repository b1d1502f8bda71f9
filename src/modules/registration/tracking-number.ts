/**
 * Tracking (service) numbers: `REG-` and five groups of four base32 characters (RFC 4648 alphabet:
 * no 0/1/8/9, so no O/0 or I/1 confusion when read aloud): 100 random bits, unguessable.
 */
import { randomBytes } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
export const TRACKING_NUMBER_PATTERN = /^REG(-[A-Z2-7]{4}){5}$/

export function generateTrackingNumber(): string {
  const bytes = randomBytes(13) // 104 bits; the first 100 are used
  let bits = ''
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0')
  let chars = ''
  for (let i = 0; i < 20; i++) chars += ALPHABET[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]
  return `REG-${chars.match(/.{4}/g)!.join('-')}`
}

/** Upper-cased and trimmed; people copy numbers with stray spaces and lower case. */
export function normaliseTrackingNumber(value: string): string {
  return value.trim().toUpperCase()
}
