/**
 * Starts the three sandbox stubs on loopback ports, sharing one identity store, with the two
 * sandbox identity providers inside them (OSS at `${ossUrl}/sso`, SSO Kemendag at
 * `${inatradeUrl}/sso`). The gateway calls this only in sandbox mode (`SANDBOX=true`, or no
 * upstream URL configured at all: see `parseSandbox` in src/config.ts) and uses the stubs for the
 * upstreams whose `*_URL` is unset; `npm run sandbox` runs them alone.
 */
import type { FastifyInstance } from 'fastify'
import { buildDjpStub } from './djp-stub.ts'
import { IdentityStore, loadFixtures } from './fixtures.ts'
import { loadSsoAccounts } from './idp-accounts.ts'
import { IDP_MOUNT_PATH, KEMENDAG_IDP, OSS_IDP, SandboxIdp } from './idp-provider.ts'
import { buildInatradeStub } from './inatrade-stub.ts'
import { buildOssStub } from './oss-stub.ts'

export {
  KEMENDAG_SSO_CALLBACK_PATH, KEMENDAG_SSO_CLIENT_SECRET, OSS_SSO_CALLBACK_PATH, OSS_SSO_CLIENT_SECRET, SANDBOX_SSO_CLIENT_ID,
  SANDBOX_SSO_SCOPES,
} from './idp-provider.ts'

export interface StartSandboxOptions {
  host?: string
  /** 0 (the default) picks a free port. */
  ports?: { oss?: number; djp?: number; inatrade?: number }
  /** Default: fixtures/sandbox-identities.json. */
  fixturesPath?: string | URL
  timeScale?: number
  /** Requests each stub's journal keeps (default 1,000): a drill counting every attempt raises it. */
  journalLimit?: number
  callbackSecret?: string
  logger?: boolean | object
  /** Default: fixtures/sandbox-sso-accounts.json. */
  ssoAccountsPath?: string | URL
  /**
   * Origins (`https://gateway.example`) the IdPs may redirect to besides loopback ones, for a
   * gateway reached by a name: redirect_uri must be on a loopback or a listed origin.
   */
  gatewayOrigins?: string[]
}

export interface Sandbox {
  /** Origins (no trailing slash); the stub paths (`/oss/v1/...`) go after them. */
  ossUrl: string
  djpUrl: string
  inatradeUrl: string
  /** OpenID Connect issuers (no trailing slash): `${ossUrl}/sso` and `${inatradeUrl}/sso`. */
  ossIssuer: string
  kemendagIssuer: string
  close(): Promise<void>
}

function originOf(app: FastifyInstance, host: string): string {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('sandbox stub is not listening on TCP')
  // A wildcard bind is reachable on loopback; an IPv6 literal needs brackets in a URL.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1'
  const identities = new IdentityStore(await loadFixtures(options.fixturesPath))
  const accounts = await loadSsoAccounts(options.ssoAccountsPath)
  const [ossIdp, kemendagIdp] = await Promise.all([
    SandboxIdp.create(OSS_IDP, { accounts: accounts.oss, gatewayOrigins: options.gatewayOrigins }),
    SandboxIdp.create(KEMENDAG_IDP, { accounts: accounts.kemendag, gatewayOrigins: options.gatewayOrigins }),
  ])
  const common = { identities, logger: options.logger, timeScale: options.timeScale, journalLimit: options.journalLimit }
  const stubs = {
    oss: await buildOssStub({ ...common, sso: ossIdp }),
    djp: await buildDjpStub(common),
    inatrade: await buildInatradeStub({ ...common, callbackSecret: options.callbackSecret, sso: kemendagIdp }),
  }
  const all = Object.values(stubs)
  const close = async (): Promise<void> => {
    await Promise.all(all.map((stub) => stub.close()))
  }
  try {
    await stubs.oss.listen({ host, port: options.ports?.oss ?? 0 })
    await stubs.djp.listen({ host, port: options.ports?.djp ?? 0 })
    await stubs.inatrade.listen({ host, port: options.ports?.inatrade ?? 0 })
  } catch (error) {
    // One port taken must not leave the other two listening.
    await close()
    throw error
  }
  const ossUrl = originOf(stubs.oss, host)
  const inatradeUrl = originOf(stubs.inatrade, host)
  // Only now is each issuer known: the ports were chosen by listen. Until here /sso answered 503.
  ossIdp.attach(`${ossUrl}${IDP_MOUNT_PATH}`, stubs.oss.log)
  kemendagIdp.attach(`${inatradeUrl}${IDP_MOUNT_PATH}`, stubs.inatrade.log)
  return {
    ossUrl,
    djpUrl: originOf(stubs.djp, host),
    inatradeUrl,
    ossIssuer: ossIdp.issuer!,
    kemendagIssuer: kemendagIdp.issuer!,
    close,
  }
}
