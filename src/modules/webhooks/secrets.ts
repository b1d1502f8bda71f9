/**
 * Webhook signing secrets. Standard Webhooks secrets (`whsec_` + base64 of random bytes) must be
 * read back to sign, so they are stored encrypted (AES-256-GCM with WEBHOOK_SECRET_KEY), not
 * digested. The endpoint's id is the additional data: a ciphertext copied onto another row does
 * not decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/** 24 bytes (192 bits) of randomness: within the 24–64 bytes Standard Webhooks recommends. */
const SECRET_BYTES = 24
const VERSION = 'v1'

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`
}

export interface SecretBox {
  seal(secret: string, webhookId: string): string
  open(ciphertext: string, webhookId: string): string
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the webhook secret key must be 32 bytes')
  return {
    seal(secret, webhookId) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(webhookId))
      const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
      return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`
    },
    open(ciphertext, webhookId) {
      const [version, body] = ciphertext.split('.')
      if (version !== VERSION || !body) throw new Error('unknown webhook secret format')
      const bytes = Buffer.from(body, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12))
      decipher.setAAD(Buffer.from(webhookId))
      decipher.setAuthTag(bytes.subarray(12, 28))
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
    },
  }
}
