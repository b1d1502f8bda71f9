/**
 * For a gateway reached over real sockets (a test's child process, a bench's server): a free port
 * to start it on, and a token for a new test organisation. Imports neither tap nor the app, so
 * the bench (scripts/bench) shares it with the tests.
 */
import { createServer } from 'node:net'

/** A free loopback port, for a server whose URL must be known before it listens (the OIDC issuer, a webhook URL). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface TestOrganisation {
  organisationId: string
  /** The in-house client's token of `scope`. */
  token: string
  /** The in-house client's Basic credentials, for more tokens. */
  basic: string
}

/**
 * A new test organisation of `nib` from the sandbox (`POST /v1/sandbox/test-organisations`) and a
 * client-credentials token of its in-house client. `request` is the fetch to use (a test's may
 * retry across a restart).
 */
export async function testOrganisation(origin: string, nib: string, scope: string, request: typeof fetch = fetch): Promise<TestOrganisation> {
  const created = await request(`${origin}/v1/sandbox/test-organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nib }) })
  const organisation = (await created.json()) as { organisation: { id: string }; clients: { kind: string; clientId: string; clientSecret: string }[] }
  if (created.status !== 201) throw new Error(`no test organisation (${created.status}): ${JSON.stringify(organisation)}`)
  const inhouse = organisation.clients.find((client) => client.kind === 'inhouse')!
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(inhouse.clientId)}:${encodeURIComponent(inhouse.clientSecret)}`).toString('base64')}`
  const response = await request(`${origin}/oidc/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
  const tokens = (await response.json()) as { access_token: string }
  if (response.status !== 200) throw new Error(`no token (${response.status}): ${JSON.stringify(tokens)}`)
  return { organisationId: organisation.organisation.id, token: tokens.access_token, basic }
}
