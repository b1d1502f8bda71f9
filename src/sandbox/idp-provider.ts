/**
 * The two sandbox OpenID Connect identity providers a business can log in with instead of an INSW
 * account: "OSS" (the OSS account) and "SSO Kemendag" (the Ministry of Trade's account, the one
 * INATRADE uses). Each is an oidc-provider instance that lives inside its upstream stub under
 * `/sso` (see idp-mount.ts), with one confidential client, the gateway, and the accounts of
 * `fixtures/sandbox-sso-accounts.json`.
 *
 * The stubs listen on port 0, so the issuer (`${stubOrigin}/sso`) is only known after listening:
 * a SandboxIdp is created first (key generation included), mounted into its stub, and `attach`ed
 * to its issuer once the stub's URL is known; until then `/sso` answers 503.
 */
import { createHash, generateKeyPair, randomBytes, randomUUID, timingSafeEqual, type JsonWebKey } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import type { FastifyBaseLogger } from 'fastify'
import Provider, { type Account, type Configuration, type Grant, type KoaContextWithOIDC } from 'oidc-provider'
import { IdpStore } from './idp-adapter.ts'
import type { KemendagAccount, OssAccount, SsoAccount } from './idp-accounts.ts'
import { errorPage, loggedOutPage, logoutPage, PAGE_CSP, type IdpLook } from './idp-pages.ts'

/** Where each IdP is mounted inside its stub; the issuer is the stub's origin + this. */
export const IDP_MOUNT_PATH = '/sso'
/** The gateway's client id, the same at both IdPs. */
export const SANDBOX_SSO_CLIENT_ID = 'insw-gateway'
export const OSS_SSO_CLIENT_SECRET = 'sandbox-oss-sso-secret'
export const KEMENDAG_SSO_CLIENT_SECRET = 'sandbox-kemendag-sso-secret'
/** A redirect_uri is accepted when its path ends with this (and its origin is allowed). */
export const OSS_SSO_CALLBACK_PATH = '/federated/oss/callback'
export const KEMENDAG_SSO_CALLBACK_PATH = '/federated/sso_kemendag/callback'
export const SANDBOX_SSO_SCOPES = ['openid', 'profile', 'email'] as const

export type IdpId = 'oss' | 'kemendag'

export interface IdpProfile<TAccount extends SsoAccount = SsoAccount> {
  id: IdpId
  look: IdpLook
  clientSecret: string
  callbackPath: string
  /** Which claims each scope releases (oidc-provider's `claims` option). */
  claimsByScope: Record<string, string[]>
  /** Cookie names start with this: both IdPs (and the gateway) share the host 127.0.0.1. */
  cookiePrefix: string
  subject(account: TAccount): string
  claims(account: TAccount): Record<string, unknown> & { sub: string }
}

export const OSS_IDP: IdpProfile<OssAccount> = {
  id: 'oss',
  look: { title: 'OSS', tagline: 'Online Single Submission — Perizinan Berusaha Berbasis Risiko', primary: '#0b4f9c', accent: '#f39c12' },
  clientSecret: OSS_SSO_CLIENT_SECRET,
  callbackPath: OSS_SSO_CALLBACK_PATH,
  claimsByScope: { openid: ['sub'], profile: ['name', 'preferred_username', 'nib'], email: ['email', 'email_verified'] },
  cookiePrefix: 'oss_sso',
  subject: (account) => `oss-${account.username}`,
  // The NIK stays in OSS: the account file carries it to tie the account to a person in charge.
  claims: (account) => ({
    sub: `oss-${account.username}`,
    preferred_username: account.username,
    name: account.name,
    email: account.email,
    email_verified: true,
    nib: account.nib,
  }),
}

export const KEMENDAG_IDP: IdpProfile<KemendagAccount> = {
  id: 'kemendag',
  look: { title: 'SSO Kemendag', tagline: 'Kementerian Perdagangan Republik Indonesia — Layanan Single Sign-On', primary: '#12355b', accent: '#c9a227' },
  clientSecret: KEMENDAG_SSO_CLIENT_SECRET,
  callbackPath: KEMENDAG_SSO_CALLBACK_PATH,
  claimsByScope: { openid: ['sub'], profile: ['name', 'preferred_username', 'nib'], email: ['email'] },
  cookiePrefix: 'kemendag_sso',
  subject: (account) => `kemendag-${account.username}`,
  claims: (account) => ({
    sub: `kemendag-${account.username}`,
    preferred_username: account.username,
    name: account.name,
    email: account.email,
    nib: account.nib,
  }),
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** Normalises `gatewayOrigins` entries to URL origins; throws on anything that is not one. */
export function normaliseOrigins(origins: readonly string[] = []): Set<string> {
  return new Set(origins.map((origin) => {
    const url = URL.parse(origin)
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new TypeError(`gatewayOrigins: "${origin}" is not an http(s) origin`)
    return url.origin
  }))
}

function allowedOrigin(url: URL, gatewayOrigins: ReadonlySet<string>): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false
  return LOOPBACK_HOSTS.has(url.hostname) || gatewayOrigins.has(url.origin)
}

/**
 * The redirect rule of the sandbox IdPs. A real IdP compares redirect_uri with the registered
 * URIs exactly; the sandbox gateway runs on whatever port a test or tester gives it, so instead
 * any loopback origin (127.0.0.1, localhost, [::1]; any port) or a configured gateway origin is
 * accepted, as long as the path ends with the IdP's callback path. Any other origin is refused,
 * so the stub is no open redirector.
 */
export function isAllowedRedirectUri(value: string, callbackPath: string, gatewayOrigins: ReadonlySet<string>): boolean {
  const url = URL.parse(value)
  return url !== null && allowedOrigin(url, gatewayOrigins) && url.pathname.endsWith(callbackPath)
}

/** After logout the IdP may send the browser back to any page of an allowed gateway origin. */
export function isAllowedPostLogoutRedirectUri(value: string, gatewayOrigins: ReadonlySet<string>): boolean {
  const url = URL.parse(value)
  return url !== null && allowedOrigin(url, gatewayOrigins)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

const generateRsaKeyPair = promisify(generateKeyPair)

export interface SandboxIdpOptions<TAccount extends SsoAccount> {
  accounts: readonly TAccount[]
  /** Origins, besides loopback ones, allowed in redirect_uri (e.g. a tester's gateway URL). */
  gatewayOrigins?: readonly string[]
}

type RawHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

export class SandboxIdp<TAccount extends SsoAccount = SsoAccount> {
  readonly profile: IdpProfile<TAccount>
  readonly #accountsByUsername = new Map<string, TAccount>()
  readonly #accountsBySub = new Map<string, TAccount>()
  readonly #gatewayOrigins: ReadonlySet<string>
  readonly #signingKey: JsonWebKey
  readonly #store = new IdpStore()
  #provider: Provider | undefined
  #handler: RawHandler | undefined

  /** Use `SandboxIdp.create`: it generates the signing key. */
  constructor(profile: IdpProfile<TAccount>, options: SandboxIdpOptions<TAccount>, signingKey: JsonWebKey) {
    this.profile = profile
    this.#gatewayOrigins = normaliseOrigins(options.gatewayOrigins)
    this.#signingKey = signingKey
    for (const account of options.accounts) {
      this.#accountsByUsername.set(account.username, account)
      this.#accountsBySub.set(profile.subject(account), account)
    }
  }

  /** A fresh RS256 key per start: tokens of an earlier run never verify. */
  static async create<T extends SsoAccount>(profile: IdpProfile<T>, options: SandboxIdpOptions<T>): Promise<SandboxIdp<T>> {
    const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 })
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }
    return new SandboxIdp(profile, options, jwk)
  }

  /** Undefined until `attach`. */
  get issuer(): string | undefined {
    return this.#provider?.issuer
  }

  get provider(): Provider | undefined {
    return this.#provider
  }

  /** Builds the provider for `issuer` (the stub's origin + `/sso`); once only. */
  attach(issuer: string, logger?: FastifyBaseLogger): void {
    if (this.#provider) throw new Error(`the ${this.profile.look.title} sandbox IdP is already attached to ${this.#provider.issuer}`)
    const provider = new Provider(issuer, this.#configuration())
    const callbackPath = this.profile.callbackPath
    const gatewayOrigins = this.#gatewayOrigins
    // See isAllowedRedirectUri: the gateway's port is not known when the client is registered.
    // The Client class is per provider, so this changes nothing for any other provider.
    provider.Client.prototype.redirectUriAllowed = (value: string) => isAllowedRedirectUri(value, callbackPath, gatewayOrigins)
    provider.Client.prototype.postLogoutRedirectUriAllowed = (value: string) => isAllowedPostLogoutRedirectUri(value, gatewayOrigins)
    const log = logger?.child({ idp: this.profile.id })
    provider.on('server_error', (_ctx: unknown, error: Error) => log?.error({ err: error }, 'sandbox IdP failed'))
    // A listener of its own keeps Koa from printing errors to stderr (the typings omit Koa's event).
    const koa: EventEmitter = provider as unknown as EventEmitter
    koa.on('error', (error: Error) => log?.error({ err: error }, 'sandbox IdP failed'))
    this.#provider = provider
    this.#handler = provider.callback() as RawHandler
  }

  /** oidc-provider's request handler, for a request whose URL is already relative to the mount. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#handler) throw new Error('the sandbox IdP is not attached yet')
    return this.#handler(req, res)
  }

  /** The account for a typed username and password, or undefined. Usernames are case-insensitive. */
  authenticate(username: string, password: string): TAccount | undefined {
    const account = this.#accountsByUsername.get(username.trim().toLowerCase())
    // Hash both sides: equal lengths for timingSafeEqual, and no early exit on the first byte.
    const expected = digest(account?.password ?? randomBytes(16).toString('hex'))
    const matches = timingSafeEqual(expected, digest(password))
    return account && matches ? account : undefined
  }

  subjectOf(account: TAccount): string {
    return this.profile.subject(account)
  }

  /** Every session, grant and token forgotten (`POST /__sandbox/reset`): browsers log in again. */
  forgetSessions(): void {
    this.#store.clear()
  }

  #configuration(): Configuration {
    const { profile } = this
    const look = profile.look
    const accountsBySub = this.#accountsBySub
    const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: IDP_MOUNT_PATH }
    return {
      adapter: this.#store.adapterFactory,
      clients: [{
        client_id: SANDBOX_SSO_CLIENT_ID,
        client_secret: profile.clientSecret,
        client_name: 'INSW Gateway',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'RS256',
        // Placeholders: oidc-provider wants one registered URI; the real check is redirectUriAllowed.
        redirect_uris: [`http://127.0.0.1${profile.callbackPath}`],
        post_logout_redirect_uris: ['http://127.0.0.1/'],
      }],
      // The gateway must say where it wants the code: the placeholder above is no real address.
      allowOmittingSingleRegisteredRedirectUri: false,
      clientAuthMethods: ['client_secret_basic'],
      clientBasedCORS: () => false,
      responseTypes: ['code'],
      pkce: { required: () => true },
      scopes: [...SANDBOX_SSO_SCOPES],
      claims: profile.claimsByScope,
      // Every claim of the granted scopes goes into the id_token too, not only to userinfo: the
      // gateway reads nib and preferred_username straight from the token response.
      conformIdTokenClaims: false,
      enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
      jwks: { keys: [this.#signingKey] },
      cookies: {
        names: { session: `${profile.cookiePrefix}_session`, interaction: `${profile.cookiePrefix}_interaction`, resume: `${profile.cookiePrefix}_resume` },
        long: cookieOptions,
        short: cookieOptions,
        keys: [randomBytes(32).toString('base64url')],
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
            ctx.set('content-security-policy', PAGE_CSP)
            ctx.body = logoutPage(look, form)
          },
          postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
            ctx.set('content-security-policy', PAGE_CSP)
            ctx.body = loggedOutPage(look)
          },
        },
      },
      interactions: {
        url: (_ctx, interaction) => `${IDP_MOUNT_PATH}/interaction/${interaction.uid}`,
      },
      // No consent screen: the gateway is a first-party client, granted every scope it asks for.
      loadExistingGrant: autoGrant,
      findAccount: (_ctx, sub): Account | undefined => {
        const account = accountsBySub.get(sub)
        if (!account) return undefined
        return { accountId: sub, claims: () => profile.claims(account) }
      },
      renderError: (ctx, out) => {
        ctx.type = 'html'
        ctx.set('content-security-policy', PAGE_CSP)
        ctx.body = errorPage(look, errorMessage(out.error), { error: out.error, error_description: out.error_description })
      },
      ttl: {
        AccessToken: 60 * 60,
        AuthorizationCode: 60,
        IdToken: 60 * 60,
        Interaction: 30 * 60,
        Session: 8 * 60 * 60,
        Grant: 8 * 60 * 60,
      },
    }
  }
}

async function autoGrant(ctx: KoaContextWithOIDC): Promise<Grant> {
  const { provider, client, session, account } = ctx.oidc
  const grantId = ctx.oidc.result?.consent?.grantId ?? session!.grantIdFor(client!.clientId)
  let grant = grantId ? await provider.Grant.find(grantId) : undefined
  // Another account logged in on this browser since: its grant is not this one's.
  if (grant && grant.accountId !== account!.accountId) grant = undefined
  grant ??= new provider.Grant({ clientId: client!.clientId, accountId: account!.accountId })
  grant.addOIDCScope(ctx.oidc.requestParamOIDCScopes)
  await grant.save()
  return grant
}

function errorMessage(error: string): string {
  switch (error) {
    case 'invalid_redirect_uri':
      return 'Alamat kembali (redirect_uri) tidak diizinkan untuk aplikasi ini.'
    case 'invalid_client':
      return 'Aplikasi yang meminta login tidak dikenal.'
    case 'invalid_request':
      return 'Permintaan login tidak lengkap atau tidak valid.'
    default:
      return 'Permintaan login tidak dapat diproses.'
  }
}
