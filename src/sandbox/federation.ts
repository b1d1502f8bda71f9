/** How the gateway signs people in through the sandbox's OSS and SSO Kemendag identity providers. */
import type { FederationSettings } from '../config.ts'
import { KEMENDAG_SSO_CLIENT_SECRET, OSS_SSO_CLIENT_SECRET, SANDBOX_SSO_CLIENT_ID } from './idp-provider.ts'

export function sandboxFederation(sandbox: { ossIssuer: string; kemendagIssuer: string }): FederationSettings {
  return {
    oss: { issuer: sandbox.ossIssuer, clientId: SANDBOX_SSO_CLIENT_ID, clientSecret: OSS_SSO_CLIENT_SECRET },
    sso_kemendag: { issuer: sandbox.kemendagIssuer, clientId: SANDBOX_SSO_CLIENT_ID, clientSecret: KEMENDAG_SSO_CLIENT_SECRET },
  }
}
