/**
 * The OIDC provider (oidc-provider), configured for the gateway:
 * - grants: authorization code with PKCE (S256 only), rotating refresh tokens, client credentials;
 * - every access token is for the API resource (RFC 8707): a JWT (RFC 9068, `typ: at+jwt`) with
 *   `sub`, `client_id`, `scope` and `org_id`, short-lived, signed by the first key of the set
 *   (ES256 for generated keys; why in keys.ts);
 * - introspection, revocation, userinfo, end-session, JWKS;
 * - all state in PostgreSQL through the adapter; nothing in process memory.
 */
import type { Kysely } from 'kysely'
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import type { Config } from '../config.ts'
import type { Database } from '../db/schema.ts'
import { API_SCOPES, OIDC_SCOPE_DESCRIPTIONS } from './scopes.ts'
import { emailIsVerified } from './email-verified.ts'
import { createAdapterFactory } from './adapter.ts'
import { operatorConsoleClient, readMachineClientMetadata, secretMatches, swaggerUiClient } from './clients.ts'
import { issuingAlgorithm, type OidcKeys } from './keys.ts'
import { renderProviderError } from './provider-error-page.ts'

export const OIDC_MOUNT_PATH = '/oidc'
export const INTERACTION_PATH = '/interaction'

export function issuerOf(config: Config): string {
  return `${config.publicUrl}${OIDC_MOUNT_PATH}`
}

/** The resource indicator of the gateway's API: the `aud` of every access token. */
export function apiAudienceOf(config: Config): string {
  return `${config.publicUrl}/v1`
}

async function accountClaims(db: Kysely<Database>, accountId: string) {
  return db
    .selectFrom('users')
    .leftJoin('account_contacts', 'account_contacts.user_id', 'users.id')
    .select(['users.id', 'users.username', 'users.full_name', 'users.email', 'users.organisation_id', 'users.level', 'users.status', 'account_contacts.verified_email'])
    .where('users.id', '=', accountId)
    .executeTakeFirst()
}

export function createProvider(config: Config, db: Kysely<Database>, keys: OidcKeys): Provider {
  const audience = apiAudienceOf(config)
  const signingAlgorithm = issuingAlgorithm(keys)
  const staticClients = new Map([swaggerUiClient(config.publicUrl), operatorConsoleClient(config.publicUrl)].map((client) => [client.client_id as string, client]))

  const configuration: Configuration = {
    adapter: createAdapterFactory(db, staticClients),
    jwks: keys.jwks,
    cookies: {
      keys: keys.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: config.publicUrl.startsWith('https:') },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: config.publicUrl.startsWith('https:') },
    },
    scopes: [...Object.keys(OIDC_SCOPE_DESCRIPTIONS), ...API_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'org_id', 'level'],
      email: ['email', 'email_verified'],
    },
    extraClientMetadata: { properties: ['urn:insw:organisation_id', 'urn:insw:client_kind'] },
    pkce: { required: () => true },
    // Code flow only: no implicit or hybrid response types (tokens never travel in URLs).
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      // Pushed authorization requests (/oidc/request) store anonymous request objects: a surface
      // no current client needs, so it is off unless OIDC_PAR=true.
      pushedAuthorizationRequests: { enabled: config.oidc.pushedAuthorizationRequests },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        // Refresh and code exchanges keep the API audience without the client repeating it.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== audience) throw new errors.InvalidTarget()
          return {
            scope: API_SCOPES.join(' '),
            audience,
            accessTokenTTL: config.oidc.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: signingAlgorithm } },
          }
        },
      },
    },
    enabledJWA: {
      // Asymmetric only: no HMAC algorithms, so a public key can never be used as an HMAC secret.
      idTokenSigningAlgValues: [...new Set([signingAlgorithm, 'ES256', 'RS256', 'EdDSA'] as const)],
      userinfoSigningAlgValues: [signingAlgorithm],
      introspectionSigningAlgValues: [signingAlgorithm],
      clientAuthSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
    },
    clientDefaults: { id_token_signed_response_alg: signingAlgorithm },
    rotateRefreshToken: true,
    // OIDC drops `offline_access` unless the client forces a consent prompt, which Swagger UI
    // cannot; a client allowed the refresh grant gets a refresh token bound to the login session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: config.oidc.accessTokenTtl,
      ClientCredentials: config.oidc.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 15 * 60,
      Session: 12 * 3600,
      Grant: 30 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    async findAccount(_ctx, accountId) {
      const user = await accountClaims(db, accountId)
      if (!user || user.status !== 'active') return undefined
      return {
        accountId,
        claims: async () => ({
          sub: accountId,
          name: user.full_name,
          preferred_username: user.username,
          email: user.email,
          email_verified: emailIsVerified(user.email, user.verified_email),
          org_id: user.organisation_id ?? undefined,
          level: user.level,
        }),
      }
    },
    async extraTokenClaims(ctx, token) {
      if (token.kind === 'ClientCredentials') {
        const client = ctx.oidc.client as unknown as Record<string, unknown> | undefined
        return { org_id: client?.['urn:insw:organisation_id'], client_kind: client?.['urn:insw:client_kind'] }
      }
      const accountId = (token as { accountId?: string }).accountId
      if (!accountId) return undefined
      const user = await accountClaims(db, accountId)
      return user ? { org_id: user.organisation_id ?? undefined, level: user.level, preferred_username: user.username } : undefined
    },
    renderError: (ctx: KoaContextWithOIDC, out, error) => renderProviderError(ctx, out, error),
    // A browser reaches the token endpoints only from the gateway's own origin: Swagger UI's two
    // flows (the public PKCE client, and a machine client whose id and secret a tester types into
    // its Authorize dialog). Browsers send Origin even on a same-origin POST, so it is named here;
    // any other origin is refused for every client (machine clients are servers: no CORS needed).
    clientBasedCORS: (_ctx, origin) => origin === new URL(config.publicUrl).origin,
  }

  const provider = new Provider(issuerOf(config), configuration)
  provider.proxy = config.trustProxy
  // Machine client secrets are stored as SHA-256 digests; compare digests in constant time.
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientId: string; clientSecret?: string }, actual: string) {
    if (this.clientSecret && secretMatches(this.clientSecret, actual)) return true
    // The metadata may be a few seconds old (MACHINE_CLIENT_TTL_MS in clients.ts): a secret just
    // rotated on another instance is checked against the database before it is refused.
    if (staticClients.has(this.clientId)) return false
    const fresh = await readMachineClientMetadata(db, this.clientId)
    return typeof fresh?.client_secret === 'string' && secretMatches(fresh.client_secret, actual)
  }
  return provider
}
