/**
 * The gateway as a relying party of OSS and SSO Kemendag: discovery (cached), and the
 * authorization code + PKCE exchange with nonce and state checks, via openid-client.
 */
import * as oidc from 'openid-client'
import type { FederatedIdpSettings, FederatedProviderName, FederationSettings } from '../../../config.ts'

export const PROVIDER_LABELS: Record<FederatedProviderName, string> = { oss: 'OSS', sso_kemendag: 'SSO Kemendag' }

function isLoopback(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)
}

export class RelyingParties {
  private readonly settings: FederationSettings
  private readonly configs = new Map<FederatedProviderName, Promise<oidc.Configuration>>()

  constructor(settings: FederationSettings) {
    this.settings = settings
  }

  enabled(provider: string): provider is FederatedProviderName {
    return Object.hasOwn(this.settings, provider) && this.settings[provider as FederatedProviderName] !== undefined
  }

  private config(provider: FederatedProviderName): Promise<oidc.Configuration> {
    let config = this.configs.get(provider)
    if (!config) {
      const idp = this.settings[provider] as FederatedIdpSettings
      // Plain HTTP only for loopback IdPs (the sandbox); anything else must be HTTPS.
      const options = isLoopback(idp.issuer) ? { execute: [oidc.allowInsecureRequests], timeout: 5 } : { timeout: 5 }
      config = oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.ClientSecretBasic(idp.clientSecret), options)
      // A failed discovery is retried on the next sign-in instead of being cached.
      config.catch(() => this.configs.delete(provider))
      this.configs.set(provider, config)
    }
    return config
  }

  async authorizationUrl(provider: FederatedProviderName, redirectUri: string, language: string) {
    const config = await this.config(provider)
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const nonce = oidc.randomNonce()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ui_locales: language,
    })
    return { url, verifier, state, nonce }
  }

  async exchange(provider: FederatedProviderName, currentUrl: URL, checks: { verifier: string; state: string; nonce: string }) {
    const config = await this.config(provider)
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    })
    const claims = tokens.claims()
    if (!claims?.sub) throw new Error('the identity provider returned no subject')
    return {
      sub: claims.sub,
      nib: typeof claims.nib === 'string' ? claims.nib : undefined,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      // Only an explicit `true` counts: an IdP that does not assert it has not verified the address.
      email_verified: claims.email_verified === true,
      preferred_username: typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined,
    }
  }
}
