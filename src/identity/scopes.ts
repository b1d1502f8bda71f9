/**
 * OAuth scopes of the gateway's API (the resource server). A token's scopes are a ceiling: an
 * organisation user's menu rights are checked as well, on every request.
 */
export const API_SCOPE_DESCRIPTIONS = {
  'org:read': 'Read your organisation, its users, groups, clients and audit log',
  'org:admin': 'Manage your organisation\'s users, groups and machine clients',
  'registrations:read': 'Read account registrations (platform operators)',
  'registrations:write': 'Approve and reject account registrations (platform operators)',
  'permits:read': 'Read permit applications and their status',
  'permits:write': 'Submit permit applications',
  'reports:read': 'Read realisation reports',
  'reports:write': 'Submit realisation reports',
  'webhooks:read': 'Read your organisation\'s webhooks and their delivery log',
  'webhooks:write': 'Manage your organisation\'s webhooks: create, change, rotate the secret, ping, redeliver, delete',
} as const

export type ApiScope = keyof typeof API_SCOPE_DESCRIPTIONS

export const API_SCOPES = Object.keys(API_SCOPE_DESCRIPTIONS) as ApiScope[]

export const OIDC_SCOPE_DESCRIPTIONS = {
  openid: 'Sign in (OpenID Connect)',
  profile: 'Your name and username',
  email: 'Your email address',
  offline_access: 'Stay signed in (refresh tokens)',
} as const

/**
 * Scopes a machine client may hold, by kind: surveyors and insurers push data, and read (a reduced
 * view of) the permits that name their organisation, nothing more.
 */
export const MACHINE_CLIENT_SCOPES: Record<'inhouse' | 'surveyor' | 'insurer', ApiScope[]> = {
  inhouse: ['org:read', 'permits:read', 'permits:write', 'reports:read', 'reports:write', 'webhooks:read', 'webhooks:write'],
  surveyor: ['permits:read', 'reports:read', 'reports:write'],
  insurer: ['permits:read', 'reports:write'],
}
