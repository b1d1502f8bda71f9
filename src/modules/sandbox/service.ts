/**
 * Sandbox test accounts: an organisation made from a sandbox NIB, with an active super admin and
 * one machine client of each kind, credentials returned once. Only mounted in sandbox mode.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database, MachineClientKind } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Upstreams } from '../../upstreams/index.ts'
import { hashPassword } from '../identity/accounts/password-hash.ts'
import { markEmailVerified } from '../identity/accounts/email-verification.ts'
import { insertUser } from '../identity/accounts/repository.ts'
import { nextUsername } from '../identity/accounts/username.ts'
import { digestSecret, generateClientId, generateClientSecret } from '../../identity/clients.ts'
import { MACHINE_CLIENT_SCOPES } from '../../identity/scopes.ts'
import { organisationProfileFromOss } from '../operators/service.ts'
import { grantAllMenus } from '../menus/service.ts'
import type { CreateTestOperator, TestOrganisation } from './schemas.ts'

/** A password that satisfies the INSW rule, with ~190 bits of randomness. */
export function generateTestPassword(): string {
  return `Sbx-${randomBytes(24).toString('base64url')}7a!`
}

function emailFor(name: string, suffix: string): string {
  const local = name.toLowerCase().normalize('NFKD').replaceAll(/[^a-z0-9]+/g, '.').replaceAll(/^\.|\.$/g, '') || 'user'
  return `${local}.${suffix}@sandbox.example`
}

export async function createTestOrganisation(db: Kysely<Database>, upstreams: Upstreams, nib: string, tokenUrl: string): Promise<TestOrganisation> {
  const lookup = await upstreams.oss.getBusiness(nib)
  if (!lookup.found) {
    throw new AppError('VALIDATION_FAILED', {
      detail: { en: 'OSS does not know this NIB.', id: 'NIB ini tidak dikenal OSS.' },
      errors: [{ pointer: '/nib', in: 'body', detail: 'unknown to OSS (pick one from the sandbox identities)', reason: 'oss_not_found' }],
    })
  }
  const business = lookup.business
  const person = business.personsInCharge[0]
  const fullName = person?.name ?? business.name
  const password = generateTestPassword()
  const passwordHash = await hashPassword(password)
  const secrets = (Object.keys(MACHINE_CLIENT_SCOPES) as MachineClientKind[]).map((kind) => ({
    kind,
    clientId: generateClientId(kind),
    clientSecret: generateClientSecret(),
    scopes: MACHINE_CLIENT_SCOPES[kind],
  }))

  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('organisations').select('id').where('nib', '=', business.nib).executeTakeFirst()
    if (existing) {
      throw new AppError('CONFLICT', {
        detail: {
          en: 'An organisation with this NIB already exists in this sandbox. Use another sandbox NIB, or reset the data folder.',
          id: 'Organisasi dengan NIB ini sudah ada di sandbox. Gunakan NIB sandbox lain, atau kosongkan folder data.',
        },
      })
    }
    const organisation = await trx
      .insertInto('organisations')
      .values({ nib: business.nib, npwp: business.npwp, ...organisationProfileFromOss(business), oss_synced_at: new Date() })
      .returning(['id', 'name', 'nib'])
      .executeTakeFirstOrThrow()
    // A test organisation holds every menu, so its super admin can try every right.
    await grantAllMenus(trx, organisation.id)
    const username = await nextUsername(trx)
    const user = await insertUser(trx, {
      organisationId: organisation.id,
      username,
      email: emailFor(fullName, username.slice(-5)),
      fullName,
      level: 'super_admin',
      passwordHash,
      status: 'active',
    })
    // The sandbox made the address, and its mail lands in the sandbox mailbox: it counts as verified.
    await markEmailVerified(trx, user.id)
    for (const client of secrets) {
      await trx
        .insertInto('machine_clients')
        .values({
          client_id: client.clientId,
          organisation_id: organisation.id,
          name: `${business.name} (${client.kind}, sandbox)`,
          kind: client.kind,
          secret_hash: digestSecret(client.clientSecret),
          scopes: client.scopes,
          created_by: user.id,
        })
        .execute()
    }
    return {
      organisation,
      superAdmin: { userId: user.id, username, password, email: user.email, fullName },
      clients: secrets,
      tokenUrl,
    }
  })
}

export async function createTestOperator(db: Kysely<Database>, input: CreateTestOperator) {
  const password = generateTestPassword()
  const username = await nextUsername(db, 'OPERATOR')
  const fullName = input.fullName ?? 'Sandbox Operator'
  const user = await insertUser(db, {
    organisationId: null,
    username,
    email: input.email ?? emailFor(fullName, username.slice(-5)),
    fullName,
    level: 'platform_operator',
    passwordHash: await hashPassword(password),
    status: 'active',
  })
  await markEmailVerified(db, user.id)
  return { userId: user.id, username, password, email: user.email, fullName }
}

export async function readMailbox(db: Kysely<Database>, to: string) {
  const rows = await db
    .selectFrom('mail_outbox')
    .select(['id', 'recipient', 'subject', 'body_text', 'template', 'created_at'])
    .where((eb) => eb(eb.fn('lower', ['recipient']), '=', to.toLowerCase()))
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute()
  return rows.map((row) => ({
    id: row.id,
    to: row.recipient,
    subject: row.subject,
    text: row.body_text,
    template: row.template,
    createdAt: row.created_at.toISOString(),
  }))
}

export async function readSmsOutbox(db: Kysely<Database>, to: string) {
  const rows = await db.selectFrom('sms_outbox').selectAll().where('recipient', '=', to).orderBy('created_at', 'desc').limit(50).execute()
  return rows.map((row) => ({ id: row.id, to: row.recipient, text: row.body_text, template: row.template, createdAt: row.created_at.toISOString() }))
}
