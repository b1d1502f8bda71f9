/**
 * How the console signs operators in and calls the API on their behalf.
 * - Sign-in is the gateway's own SSO: an authorization code + PKCE flow of the static
 *   `operator-console` client; the code is redeemed in-process (the provider's token endpoint
 *   through `inject`), so the console needs no network path to its own public URL.
 * - Every page asks the API (again through `inject`) with the operator's access token: the console
 *   has no access rules of its own, so it can never show or do more than the API allows. An
 *   expired access token is renewed with the refresh token once; a failed renewal signs out.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Language } from '../../errors/language.ts'
import { OPERATOR_CONSOLE_CALLBACK_PATH, OPERATOR_CONSOLE_CLIENT_ID } from '../../identity/clients.ts'
import { LOGIN_COOKIE, SESSION_COOKIE, type ConsoleLogin, type ConsoleSession, type Sealer } from './session.ts'

export const CONSOLE_SCOPE = 'openid profile offline_access registrations:read registrations:write'
const SESSION_MAX_AGE_S = 12 * 3600

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number
  body: T
  headers: Record<string, string | string[] | number | undefined>
  raw: Buffer
}

export class SignInRequired extends Error {}

export interface ConsoleAccess {
  session(request: FastifyRequest): ConsoleSession | undefined
  startSignIn(reply: FastifyReply, returnTo: string): FastifyReply
  finishSignIn(request: FastifyRequest, reply: FastifyReply, query: { code?: string; state?: string }): Promise<{ returnTo: string; session: ConsoleSession } | { error: 'failed' | 'not_operator' }>
  signOut(reply: FastifyReply, session: ConsoleSession | undefined): Promise<void>
  /** Calls the API as the signed-in operator; throws SignInRequired when the session is gone. */
  api<T = Record<string, unknown>>(request: FastifyRequest, reply: FastifyReply, method: 'GET' | 'POST', url: string, language: Language, body?: unknown): Promise<ApiAnswer<T>>
}

export function consoleAccess(app: FastifyInstance, sealer: Sealer, publicUrl: string): ConsoleAccess {
  const secure = publicUrl.startsWith('https:')
  const cookie = { path: '/console', httpOnly: true, sameSite: 'lax' as const, secure }
  const redirectUri = `${publicUrl}${OPERATOR_CONSOLE_CALLBACK_PATH}`

  const saveSession = (reply: FastifyReply, session: ConsoleSession) => reply.setCookie(SESSION_COOKIE, sealer.seal(session), { ...cookie, maxAge: SESSION_MAX_AGE_S })

  async function tokenRequest(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const answer = await app.inject({
      method: 'POST',
      url: '/oidc/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...form, client_id: OPERATOR_CONSOLE_CLIENT_ID }).toString(),
    })
    return { status: answer.statusCode, body: answer.json() as Record<string, unknown> }
  }

  function sessionFrom(tokens: Record<string, unknown>, name: string, csrf: string): ConsoleSession {
    return {
      accessToken: String(tokens.access_token),
      refreshToken: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : undefined,
      expiresAt: Date.now() + Number(tokens.expires_in ?? 300) * 1000,
      name,
      csrf,
    }
  }

  async function inject<T>(method: 'GET' | 'POST', url: string, token: string, language: Language, body?: unknown): Promise<ApiAnswer<T>> {
    const answer = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, 'accept-language': language, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    const type = String(answer.headers['content-type'] ?? '')
    return { status: answer.statusCode, body: (type.includes('json') ? answer.json() : {}) as T, headers: answer.headers, raw: answer.rawPayload }
  }

  return {
    session: (request) => sealer.unseal<ConsoleSession>(request.cookies[SESSION_COOKIE]),

    startSignIn(reply, returnTo) {
      const login: ConsoleLogin = { verifier: randomBytes(32).toString('base64url'), state: randomBytes(16).toString('base64url'), returnTo }
      reply.setCookie(LOGIN_COOKIE, sealer.seal(login), { ...cookie, maxAge: 15 * 60 })
      const challenge = createHash('sha256').update(login.verifier).digest('base64url')
      const query = new URLSearchParams({
        client_id: OPERATOR_CONSOLE_CLIENT_ID,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: CONSOLE_SCOPE,
        state: login.state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
      return reply.redirect(`/oidc/auth?${query}`, 303)
    },

    async finishSignIn(request, reply, query) {
      const login = sealer.unseal<ConsoleLogin>(request.cookies[LOGIN_COOKIE])
      reply.clearCookie(LOGIN_COOKIE, cookie)
      if (!login || !query.code || query.state !== login.state) return { error: 'failed' }
      const tokens = await tokenRequest({ grant_type: 'authorization_code', code: query.code, redirect_uri: redirectUri, code_verifier: login.verifier })
      if (tokens.status !== 200 || typeof tokens.body.access_token !== 'string') return { error: 'failed' }
      const me = await inject<{ kind?: string; user?: { level?: string; fullName?: string; username?: string } }>('GET', '/v1/me', tokens.body.access_token, 'en')
      if (me.status !== 200 || me.body.user?.level !== 'platform_operator') return { error: 'not_operator' }
      const session = sessionFrom(tokens.body, me.body.user.fullName ?? me.body.user.username ?? '', randomBytes(24).toString('base64url'))
      saveSession(reply, session)
      return { returnTo: login.returnTo, session }
    },

    async signOut(reply, session) {
      reply.clearCookie(SESSION_COOKIE, cookie)
      if (session?.refreshToken) {
        // The refresh token (and its grant) dies with the session; the access token lapses by itself.
        await app.inject({
          method: 'POST',
          url: '/oidc/token/revocation',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ token: session.refreshToken, token_type_hint: 'refresh_token', client_id: OPERATOR_CONSOLE_CLIENT_ID }).toString(),
        })
      }
    },

    async api(request, reply, method, url, language, body) {
      let session = sealer.unseal<ConsoleSession>(request.cookies[SESSION_COOKIE])
      if (!session) throw new SignInRequired()
      if (Date.now() > session.expiresAt - 15_000 && session.refreshToken) session = await renew(reply, session)
      let answer = await inject<unknown>(method, url, session.accessToken, language, body)
      if (answer.status === 401 && session.refreshToken) {
        session = await renew(reply, session)
        answer = await inject<unknown>(method, url, session.accessToken, language, body)
      }
      if (answer.status === 401) throw new SignInRequired()
      return answer as never
    },
  }

  async function renew(reply: FastifyReply, session: ConsoleSession): Promise<ConsoleSession> {
    const tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refreshToken! })
    if (tokens.status !== 200 || typeof tokens.body.access_token !== 'string') {
      reply.clearCookie(SESSION_COOKIE, cookie)
      throw new SignInRequired()
    }
    const renewed = sessionFrom(tokens.body, session.name, session.csrf)
    saveSession(reply, renewed)
    return renewed
  }
}
