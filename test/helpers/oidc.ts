/** Relying-party helpers for tests: openid-client configured for our issuer, and the HTML sign-in. */
import * as oidc from 'openid-client'
import { FormSession, hiddenField } from './form-session.ts'

export const insecure = { execute: [oidc.allowInsecureRequests] }

export function swaggerUiClient(url: string) {
  return oidc.discovery(new URL(`${url}/oidc`), 'swagger-ui', undefined, oidc.None(), insecure)
}

export function machineClient(url: string, client: { clientId: string; clientSecret: string }) {
  return oidc.discovery(new URL(`${url}/oidc`), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret), insecure)
}

/** Starts a code + PKCE flow for the Swagger UI client and follows it to the login page. */
export async function openLoginPage(url: string, swaggerUi: oidc.Configuration, options: { scope?: string; uiLocales?: string; origin?: string } = {}) {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const authorizationUrl = oidc.buildAuthorizationUrl(swaggerUi, {
    redirect_uri: `${url}/docs/oauth2-redirect.html`,
    scope: options.scope ?? 'openid profile email org:read permits:read',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(options.uiLocales ? { ui_locales: options.uiLocales } : {}),
  })
  const browser = new FormSession({ origin: options.origin ?? url })
  const { response, url: loginUrl } = await browser.follow(await browser.get(authorizationUrl), authorizationUrl.href)
  const html = await response.text()
  return { browser, loginUrl, html, verifier, state, csrf: hiddenField(html, 'csrf') ?? '' }
}

/** Submits the login form; returns where the browser ended up (the callback URL on success). */
export async function submitLogin(url: string, page: Awaited<ReturnType<typeof openLoginPage>>, username: string, password: string) {
  const submitted = await page.browser.post(new URL(`${page.loginUrl.pathname}/login`, url), { username, password, csrf: page.csrf })
  const redirectUri = `${url}/docs/oauth2-redirect.html`
  const { url: callback, response } = await page.browser.follow(submitted, url, (next) => next.href.startsWith(redirectUri))
  return { callback, response }
}

export async function signIn(url: string, swaggerUi: oidc.Configuration, username: string, password: string, scope?: string) {
  const page = await openLoginPage(url, swaggerUi, { scope })
  const { callback, response } = await submitLogin(url, page, username, password)
  return { callback, response, verifier: page.verifier, state: page.state }
}
