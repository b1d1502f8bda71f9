/**
 * The resource server: every /v1 route needs a bearer access token unless it is marked
 * `config: { public: true }`. Tokens are verified with @fastify/jwt against the provider's own
 * key set: known `kid`, the algorithm of that key (ES256, or RS256 for RSA keys; never HMAC),
 * `typ: at+jwt`, our issuer and API audience, not expired.
 * Verified tokens are cached until they expire, since verification runs on every request.
 * Routes may require scopes: `config: { scopes: ['permits:write'] }`.
 */
import { createPublicKey } from 'node:crypto'
import jwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { AppError } from '../errors/app-error.ts'
import { apiAudienceOf, issuerOf } from '../identity/provider.ts'
import { algorithmOf } from '../identity/keys.ts'
import type { ApiScope } from '../identity/scopes.ts'

/** Who is calling: a person (through an app such as Swagger UI) or a machine client. */
export interface Principal {
  kind: 'user' | 'client'
  /** User id for people; client id for machine clients. */
  subject: string
  clientId: string
  organisationId?: string
  scopes: Set<string>
  /** The access token's `jti`, for audit trails. */
  tokenId?: string
  /** When the access token expires (seconds since the epoch): a long-lived response (a stream) ends then. */
  expiresAt?: number
  /** Machine clients: the organisation's own request budget per minute, when it has one. */
  organisationRateLimit?: number
  /**
   * Machine clients: the client and its organisation as authentication loaded them (at most
   * CLIENT_STATUS_TTL_MS old), so handlers need not read the same rows again.
   */
  client?: LoadedClient
}

/** A machine client as the resource server loaded it, with its organisation. */
export interface LoadedClient {
  clientId: string
  name: string
  kind: 'inhouse' | 'surveyor' | 'insurer'
  organisation: { id: string; name: string; nib: string | null }
}

interface AccessTokenClaims {
  sub: string
  client_id: string
  scope?: string
  org_id?: string
  jti?: string
  exp: number
  iat: number
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No access token needed (health, registration, tracking, sandbox helpers). */
    public?: boolean
    /** Every listed scope must be granted to the token. */
    scopes?: ApiScope[]
  }
  interface FastifyRequest {
    principal?: Principal
  }
  interface FastifyInstance {
    /** Machine clients' status as the resource server sees it (cached briefly). */
    machineClientStatus: MachineClientStatusCache
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims
    user: AccessTokenClaims
  }
}

const VERIFIED_TOKEN_CACHE_SIZE = 10_000
/**
 * How long a machine client's status is trusted before it is read again. Client tokens are
 * self-contained JWTs: without this check a revoked client's tokens would work until they expire.
 * Revoking on this instance forgets the entry at once; other instances notice within this time.
 */
export const CLIENT_STATUS_TTL_MS = 5_000

interface ClientStatus {
  active: boolean
  organisationId: string
  rateLimit: number | null
  client: LoadedClient
  readAt: number
}

export interface MachineClientStatusCache {
  get(clientId: string): Promise<ClientStatus | undefined>
  forget(clientId: string): void
}

function machineClientStatusCache(app: FastifyInstance): MachineClientStatusCache {
  const entries = new Map<string, ClientStatus>()
  return {
    async get(clientId) {
      const cached = entries.get(clientId)
      if (cached && Date.now() - cached.readAt < CLIENT_STATUS_TTL_MS) return cached
      const row = await app.db
        .selectFrom('machine_clients')
        .innerJoin('organisations', 'organisations.id', 'machine_clients.organisation_id')
        // Everything a handler needs about the client, in the one query authentication makes anyway.
        .select([
          'machine_clients.status',
          'machine_clients.organisation_id',
          'machine_clients.name',
          'machine_clients.kind',
          'organisations.rate_limit_per_minute',
          'organisations.name as organisation_name',
          'organisations.nib',
        ])
        .where('machine_clients.client_id', '=', clientId)
        .executeTakeFirst()
      if (!row) {
        entries.delete(clientId)
        return undefined
      }
      const status: ClientStatus = {
        active: row.status === 'active',
        organisationId: row.organisation_id,
        rateLimit: row.rate_limit_per_minute,
        client: { clientId, name: row.name, kind: row.kind, organisation: { id: row.organisation_id, name: row.organisation_name, nib: row.nib } },
        readAt: Date.now(),
      }
      // Bounded: drop the oldest entry rather than grow without limit.
      if (entries.size >= VERIFIED_TOKEN_CACHE_SIZE) entries.delete(entries.keys().next().value!)
      entries.set(clientId, status)
      return status
    },
    forget(clientId) {
      entries.delete(clientId)
    },
  }
}
/**
 * The claims of tokens verified before, by the token itself, until they expire: a repeat request
 * skips @fastify/jwt's per-request work (option merging, decoding, hashing the token for its own
 * cache), ~5% of a cached GET /v1/me by CPU profile. Only successes are kept, and every check
 * after verification still runs on each request.
 */
function verifiedTokenMemo() {
  const entries = new Map<string, AccessTokenClaims>()
  return {
    async verify(request: FastifyRequest, authorization: string): Promise<AccessTokenClaims> {
      const token = authorization.slice(authorization.indexOf(' ') + 1)
      const known = entries.get(token)
      if (known && known.exp * 1000 > Date.now()) return known
      const claims = await request.jwtVerify<AccessTokenClaims>()
      if (entries.size >= VERIFIED_TOKEN_CACHE_SIZE) entries.delete(entries.keys().next().value!)
      entries.set(token, claims)
      return claims
    },
  }
}

const REALM = 'insw-gateway'

function bearerChallenge(error?: string, description?: string, scope?: string): string {
  const parts = [`realm="${REALM}"`]
  if (error) parts.push(`error="${error}"`)
  if (description) parts.push(`error_description="${description.replaceAll('"', "'")}"`)
  if (scope) parts.push(`scope="${scope}"`)
  return `Bearer ${parts.join(', ')}`
}

/** Clock difference tolerated between the token's issuer and this resource server. */
const CLOCK_SKEW_SECONDS = 60
/** Client ids are printable ASCII (generated, or configured such as `swagger-ui`). */
const CLIENT_ID = /^[\x21-\x7e]{1,255}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Checks beyond the signature: a token is refused (401, never a 500 further on) when it was
 * issued in the future, lives longer than the provider issues tokens for, or names a user or
 * organisation by something that is not an id. Returns why, or undefined when plausible.
 */
function implausibleClaims(claims: AccessTokenClaims, accessTokenTtl: number): string | undefined {
  const now = Math.floor(Date.now() / 1000)
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return 'the access token lacks iat or exp'
  if (claims.iat > now + CLOCK_SKEW_SECONDS) return 'the access token was issued in the future'
  if (claims.exp - claims.iat > accessTokenTtl + CLOCK_SKEW_SECONDS) return 'the access token lives longer than this API allows'
  if (typeof claims.sub !== 'string' || typeof claims.client_id !== 'string' || !CLIENT_ID.test(claims.client_id)) return 'the access token names no valid client'
  // People are users.id (a UUID); machine clients are their client id (sub = client_id).
  if (claims.sub !== claims.client_id && !UUID.test(claims.sub)) return 'the access token subject is not a user id'
  if (claims.org_id !== undefined && (typeof claims.org_id !== 'string' || !UUID.test(claims.org_id))) return 'the access token organisation is not an organisation id'
  return undefined
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED', { headers: { 'www-authenticate': bearerChallenge() } })
  return request.principal
}

async function authPlugin(app: FastifyInstance, options: { config: Config }): Promise<void> {
  // PEM per kid: @fastify/jwt reuses one verifier (and its token cache) per key string.
  const publicKeys = new Map(
    app.oidcKeys.jwks.keys.map((jwk) => [
      jwk.kid,
      { pem: createPublicKey({ key: jwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string, alg: algorithmOf(jwk) },
    ]),
  )

  await app.register(jwt, {
    secret: {
      public: async (_request: FastifyRequest, token: { header?: { kid?: string; alg?: string } }) => {
        const key = token.header?.kid ? publicKeys.get(token.header.kid) : undefined
        if (!key) throw new Error('unknown signing key')
        // Each key verifies only its own algorithm, so rotating RS256 -> ES256 mixes no keys and algorithms.
        if (token.header?.alg !== key.alg) throw new Error('algorithm does not match the key')
        return key.pem
      },
    } as never,
    verify: {
      algorithms: [...new Set([...publicKeys.values()].map((key) => key.alg))],
      allowedIss: issuerOf(options.config),
      allowedAud: apiAudienceOf(options.config),
      requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'iss', 'aud'],
      checkTyp: 'at+jwt',
      cache: VERIFIED_TOKEN_CACHE_SIZE,
    } as never,
    decode: { complete: true },
  })

  const verifiedTokens = verifiedTokenMemo()
  const clientStatus = machineClientStatusCache(app)
  app.decorate('machineClientStatus', clientStatus)

  /** Whether the matched route needs an access token: every /v1 route and every route with scopes, unless public. */
  const needsToken = (request: FastifyRequest): boolean => {
    const config = request.routeOptions.config
    if (config.public || request.is404) return false
    // The matched route, not request.url: the router decodes the path, so `/%761/me` reaches /v1/me.
    return Boolean(request.routeOptions.url?.startsWith('/v1/') || config.scopes)
  }

  // A callback hook: routes without a token (health, the provider, sign-in pages) pay no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!needsToken(request)) return done()
    authenticate(request).then(() => done(), done)
  })

  async function authenticate(request: FastifyRequest): Promise<void> {
    const config = request.routeOptions.config
    const authorization = request.headers.authorization
    if (!authorization) {
      throw new AppError('UNAUTHENTICATED', {
        detail: { en: 'Send an access token: Authorization: Bearer <token>.', id: 'Kirim token akses: Authorization: Bearer <token>.' },
        headers: { 'www-authenticate': bearerChallenge() },
      })
    }
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are the same.
    if (!/^Bearer [A-Za-z0-9._~+/-]+=*$/i.test(authorization)) {
      throw new AppError('INVALID_TOKEN', {
        detail: { en: 'The Authorization header must be "Bearer <token>".', id: 'Header Authorization harus "Bearer <token>".' },
        // invalid_token, not invalid_request: RFC 6750 pairs invalid_request with 400, and this is a 401.
        headers: { 'www-authenticate': bearerChallenge('invalid_token', 'malformed Authorization header') },
      })
    }
    let claims: AccessTokenClaims
    try {
      claims = await verifiedTokens.verify(request, authorization)
    } catch (error) {
      const expired = (error as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED'
      const description = expired ? 'the access token expired' : 'the access token is invalid'
      throw new AppError('INVALID_TOKEN', {
        detail: expired
          ? { en: 'The access token expired; get a new one.', id: 'Token akses kedaluwarsa; minta token baru.' }
          : { en: 'The access token is not valid for this API.', id: 'Token akses tidak berlaku untuk API ini.' },
        headers: { 'www-authenticate': bearerChallenge('invalid_token', description) },
      })
    }
    const refusal = implausibleClaims(claims, options.config.oidc.accessTokenTtl)
    if (refusal) {
      throw new AppError('INVALID_TOKEN', {
        detail: { en: 'The access token is not valid for this API.', id: 'Token akses tidak berlaku untuk API ini.' },
        headers: { 'www-authenticate': bearerChallenge('invalid_token', refusal) },
      })
    }
    const scopes = new Set((claims.scope ?? '').split(' ').filter(Boolean))
    // A client-credentials token is about the client itself: sub equals client_id.
    const kind = claims.sub === claims.client_id ? 'client' : 'user'
    let organisationRateLimit: number | undefined
    let organisationId = claims.org_id
    let client: LoadedClient | undefined
    if (kind === 'client') {
      const status = await clientStatus.get(claims.client_id)
      if (!status?.active) {
        throw new AppError('INVALID_TOKEN', {
          detail: { en: 'The machine client behind this token was revoked.', id: 'Klien mesin pemilik token ini telah dicabut.' },
          headers: { 'www-authenticate': bearerChallenge('invalid_token', 'the client was revoked') },
        })
      }
      organisationRateLimit = status.rateLimit ?? undefined
      // The client's organisation as stored, which the org-wide rate budget is keyed by.
      organisationId = status.organisationId
      client = status.client
    }
    request.principal = {
      kind,
      subject: claims.sub,
      clientId: claims.client_id,
      organisationId,
      scopes,
      tokenId: claims.jti,
      expiresAt: claims.exp,
      ...(organisationRateLimit !== undefined ? { organisationRateLimit } : {}),
      ...(client ? { client } : {}),
    }
    const missing = (config.scopes ?? []).filter((scope) => !scopes.has(scope))
    if (missing.length) {
      throw new AppError('INSUFFICIENT_SCOPE', {
        detail: { en: `This operation needs the scope(s): ${missing.join(' ')}.`, id: `Operasi ini memerlukan cakupan: ${missing.join(' ')}.` },
        headers: { 'www-authenticate': bearerChallenge('insufficient_scope', 'the token lacks a required scope', (config.scopes ?? []).join(' ')) },
      })
    }
  }
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['oidc', 'errors', 'db'] })
