/**
 * Mounts a sandbox IdP into its stub's Fastify app under `/sso`: the login pages (the IdP's
 * "interactions") are Fastify routes, everything else goes to oidc-provider untouched.
 *
 * The scope keeps request bodies unread (oidc-provider parses its own; the login form is read by
 * its handler), so the stub journals `/sso` requests with `body: null` and no password lands in
 * the journal.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errors, type Interaction, type InteractionResults } from 'oidc-provider'
import type { SsoAccount } from './idp-accounts.ts'
import { errorPage, loginPage, PAGE_CSP } from './idp-pages.ts'
import { IDP_MOUNT_PATH, type SandboxIdp } from './idp-provider.ts'

/** The login form is two short fields: anything much bigger is not a login. */
const FORM_LIMIT = 16 * 1024

interface InteractionParams {
  uid: string
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', PAGE_CSP)
    .send(html)
}

/** The urlencoded login form; an empty form for anything else (the handler then says what is missing). */
async function readForm(request: FastifyRequest): Promise<URLSearchParams> {
  const raw = request.raw
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of raw) {
    size += (chunk as Buffer).length
    if (size > FORM_LIMIT) throw Object.assign(new Error('login form too large'), { statusCode: 413 })
    chunks.push(chunk as Buffer)
  }
  if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams()
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

export function mountIdp<T extends SsoAccount>(app: FastifyInstance, idp: SandboxIdp<T>): void {
  const look = idp.profile.look
  const loginAction = (uid: string) => `${IDP_MOUNT_PATH}/interaction/${encodeURIComponent(uid)}`

  const notReady = (reply: FastifyReply) =>
    reply.code(503).send({ error: 'SSO_NOT_READY', message: `the ${look.title} sandbox IdP is starting` })

  /** The interaction this browser is in, or an error page already sent. */
  async function currentInteraction(request: FastifyRequest<{ Params: InteractionParams }>, reply: FastifyReply): Promise<Interaction | undefined> {
    try {
      const interaction = await idp.provider!.interactionDetails(request.raw, reply.raw)
      if (interaction.uid === request.params.uid) return interaction
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound)) throw error
    }
    // No interaction cookie, an expired interaction, or an old tab of an earlier login.
    sendPage(reply, 400, errorPage(look, 'Sesi login sudah berakhir atau tidak ditemukan.'))
    return undefined
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    const returnTo = await idp.provider!.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false })
    return reply.redirect(returnTo, 303)
  }

  /** A consent prompt only comes with an explicit `prompt=consent`: grant it, as the login does. */
  async function grantConsent(request: FastifyRequest, reply: FastifyReply, interaction: Interaction) {
    const provider = idp.provider!
    const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined
    const grant = existing ?? new provider.Grant({ accountId: interaction.session?.accountId, clientId: interaction.params.client_id as string })
    grant.addOIDCScope(String(interaction.params.scope ?? 'openid'))
    const grantId = await grant.save()
    const returnTo = await provider.interactionResult(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true })
    return reply.redirect(returnTo, 303)
  }

  async function clientName(interaction: Interaction): Promise<string> {
    const client = await idp.provider!.Client.find(String(interaction.params.client_id))
    return client?.clientName ?? String(interaction.params.client_id)
  }

  app.register(async (scope) => {
    // Bodies stay unread: oidc-provider reads its own from the raw request.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))

    scope.get<{ Params: InteractionParams }>(`${IDP_MOUNT_PATH}/interaction/:uid`, async (request, reply) => {
      if (!idp.provider) return notReady(reply)
      const interaction = await currentInteraction(request, reply)
      if (!interaction) return reply
      if (interaction.prompt.name === 'consent') return grantConsent(request, reply, interaction)
      const loginHint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined
      return sendPage(reply, 200, loginPage(look, { action: loginAction(interaction.uid), clientName: await clientName(interaction), username: loginHint }))
    })

    scope.post<{ Params: InteractionParams }>(`${IDP_MOUNT_PATH}/interaction/:uid`, async (request, reply) => {
      if (!idp.provider) return notReady(reply)
      const form = await readForm(request)
      const interaction = await currentInteraction(request, reply)
      if (!interaction) return reply
      if (form.get('action') === 'cancel') {
        return finish(request, reply, { error: 'access_denied', error_description: 'End-User aborted interaction' })
      }
      const username = form.get('username')?.trim() ?? ''
      const password = form.get('password') ?? ''
      const account = username && password ? idp.authenticate(username, password) : undefined
      if (!account) {
        const error = username && password ? 'Nama pengguna atau kata sandi salah.' : 'Isi nama pengguna dan kata sandi.'
        const page = loginPage(look, { action: loginAction(interaction.uid), clientName: await clientName(interaction), username, error })
        return sendPage(reply, 401, page)
      }
      return finish(request, reply, { login: { accountId: idp.subjectOf(account), amr: ['pwd'] } })
    })

    // Everything else under /sso is oidc-provider's: discovery, jwks, auth, token, userinfo, logout.
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!idp.provider) return notReady(reply)
      reply.hijack()
      const raw = request.raw as IncomingMessage & { originalUrl?: string }
      // oidc-provider finds its mount path from originalUrl minus url (as under Express).
      raw.originalUrl = raw.url
      const rest = (raw.url ?? '').slice(IDP_MOUNT_PATH.length)
      raw.url = rest.startsWith('/') ? rest : `/${rest}`
      // The other stub routes echo x-request-id through Fastify; a hijacked reply has to do it itself.
      reply.raw.setHeader('x-request-id', request.id)
      await idp.handle(raw, reply.raw)
    }
    scope.all(IDP_MOUNT_PATH, forward)
    scope.all(`${IDP_MOUNT_PATH}/*`, forward)
  })
}
