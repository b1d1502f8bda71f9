/**
 * The accounts of the two sandbox identity providers (OSS and SSO Kemendag): the schema of
 * `fixtures/sandbox-sso-accounts.json`, its loader, and the claims each account releases.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Type, type Static } from 'typebox'
import { NIB_PATTERN, NIK_PATTERN } from './identifiers.ts'
import { SandboxFixtureError } from './fixtures.ts'
import { schemaProblems } from './schema-problems.ts'

export const DEFAULT_SSO_ACCOUNTS_PATH = fileURLToPath(new URL('../../fixtures/sandbox-sso-accounts.json', import.meta.url))

const strict = { additionalProperties: false } as const
const Text = Type.String({ minLength: 1, maxLength: 200 })
/** Lower case, so that the login form can match a typed username case-insensitively. */
const Username = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{2,63}$' })
const Password = Type.String({ minLength: 8, maxLength: 200 })
const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 })

const OssAccount = Type.Object({
  username: Username,
  password: Password,
  name: Text,
  email: Email,
  nib: Type.String({ pattern: NIB_PATTERN }),
  /** The person's NIK: an OSS account belongs to a person in charge of the business. */
  nik: Type.String({ pattern: NIK_PATTERN }),
}, strict)

const KemendagAccount = Type.Object({
  username: Username,
  password: Password,
  name: Text,
  email: Email,
  nib: Type.String({ pattern: NIB_PATTERN }),
}, strict)

export const SsoAccountsSchema = Type.Object({
  oss: Type.Array(OssAccount),
  kemendag: Type.Array(KemendagAccount),
}, strict)

export type OssAccount = Static<typeof OssAccount>
export type KemendagAccount = Static<typeof KemendagAccount>
export type SsoAccounts = Static<typeof SsoAccountsSchema>
export type SsoAccount = OssAccount | KemendagAccount

/** Validates a parsed accounts document; throws one error listing every problem. */
export function parseSsoAccounts(document: unknown, source = 'sandbox SSO accounts'): SsoAccounts {
  const problems = schemaProblems(SsoAccountsSchema, document, 'accounts')
  if (problems.length === 0) {
    const accounts = document as SsoAccounts
    for (const idp of ['oss', 'kemendag'] as const) {
      const seen = new Map<string, number>()
      accounts[idp].forEach((account, index) => {
        const first = seen.get(account.username)
        if (first !== undefined) problems.push(`/${idp}/${index} duplicates the username "${account.username}" of /${idp}/${first}`)
        else seen.set(account.username, index)
      })
    }
  }
  if (problems.length > 0) {
    throw new SandboxFixtureError(`${source}: invalid sandbox SSO accounts\n  - ${problems.join('\n  - ')}`, problems)
  }
  return document as SsoAccounts
}

export async function loadSsoAccounts(path: string | URL = DEFAULT_SSO_ACCOUNTS_PATH): Promise<SsoAccounts> {
  const source = typeof path === 'string' ? path : fileURLToPath(path)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new SandboxFixtureError(`${source}: cannot read sandbox SSO accounts (${(error as Error).message})`, [], { cause: error })
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw new SandboxFixtureError(`${source}: not valid JSON (${(error as Error).message})`, [], { cause: error })
  }
  return parseSsoAccounts(document, source)
}
