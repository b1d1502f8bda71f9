/** Registration test helpers: PDFs, multipart bodies, forms for sandbox identities, tokens. */
import type { FastifyInstance } from 'fastify'
import * as oidc from 'openid-client'
import { REGISTRATION_FORM_EXAMPLE } from '../../src/modules/registration/schemas.ts'
import { signIn, swaggerUiClient } from '../helpers/oidc.ts'

/** A small but structurally valid PDF: header, one object, xref table, trailer, startxref, %%EOF. */
export function minimalPdf(padTo = 0): Buffer {
  const header = '%PDF-1.4\n'
  const object = '1 0 obj\n<< /Type /Catalog >>\nendobj\n'
  const padding = padTo > 0 ? `%${'x'.repeat(Math.max(0, padTo - 200))}\n` : ''
  const xrefOffset = header.length + padding.length + object.length
  const body = `${header}${padding}${object}xref\n0 2\n0000000000 65535 f \n${String(header.length + padding.length).padStart(10, '0')} 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

export interface FileSpec {
  content: Buffer
  name?: string
  type?: string
}

/** A multipart body as `app.inject` takes it. */
export async function multipart(parts: { form?: unknown; formText?: string; file?: FileSpec; extra?: Record<string, string> }) {
  const data = new FormData()
  if (parts.formText !== undefined) data.append('form', new Blob([parts.formText], { type: 'application/json' }))
  else if (parts.form !== undefined) data.append('form', new Blob([JSON.stringify(parts.form)], { type: 'application/json' }))
  if (parts.file) data.append('powerOfAttorney', new Blob([new Uint8Array(parts.file.content)], { type: parts.file.type ?? 'application/pdf' }), parts.file.name ?? 'surat-kuasa.pdf')
  for (const [name, value] of Object.entries(parts.extra ?? {})) data.append(name, value)
  const request = new Request('http://local.test', { method: 'POST', body: data })
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')! } }
}

export function submit(app: FastifyInstance, parts: Parameters<typeof multipart>[0], headers: Record<string, string> = {}, remoteAddress?: string) {
  return multipart(parts).then((body) =>
    app.inject({ method: 'POST', url: '/v1/registrations', payload: body.payload, headers: { ...body.headers, ...headers }, ...(remoteAddress ? { remoteAddress } : {}) }),
  )
}

/** A company registration for a sandbox identity (the contract's example, PT Sandbox Kopi Ekspor Nusantara, by default). */
export function companyForm(overrides: Record<string, unknown> = {}, applicant: Record<string, unknown> = {}) {
  const example = REGISTRATION_FORM_EXAMPLE
  return {
    ...example,
    applicant: { ...example.applicant, ...applicant },
    // A local-format number, so tests also exercise normalisation to +62.
    contact: { ...example.contact, mobile: '081234567890' },
    ...overrides,
  }
}

/** Sandbox identities: NIB, NPWP and a person in charge (from fixtures/README.md). */
export const IDENTITIES = {
  approved: { nib: '8120000000001', npwp: '010000000001000', name: 'Budi Santoso', nik: '3171000101800001' },
  ossUnknown: { nib: '8120000000003', npwp: '010000000003000', name: 'Nobody', nik: '3171000101800099' },
  npwpInvalid: { nib: '8120000000004', npwp: '010000000004000', name: 'Agus Setiawan', nik: '3273001207820004' },
  npwpNotFound: { nib: '8120000000005', npwp: '010000000005000', name: 'Rina Marpaung', nik: '1271004807880005' },
  exporter16: { nib: '8120000000010', npwp: '0010000000010000', name: 'Ahmad Fauzi', nik: '1871001408760010' },
  bumn: { nib: '8120000000011', npwp: '010000000011000', name: 'Bambang Prasetyo', nik: '3672000612700012' },
  foundation: { npwp: '010000000012000' },
  ossSlow: { nib: '8120000000013', npwp: '010000000013000', name: 'Rahmat Hidayat', nik: '6471000909800014' },
  djpDown: { nib: '8120000000014', npwp: '010000000014000', name: 'I Gede Putu Artha', nik: '5171001706860015' },
} as const

export function formFor(identity: { nib?: string; npwp?: string; name?: string; nik?: string }, overrides: Record<string, unknown> = {}) {
  return companyForm(
    { nib: identity.nib, npwp: identity.npwp, organisationName: `Org ${identity.nib ?? identity.npwp}`, contact: { email: `${identity.nib ?? identity.npwp}@sandbox.test`, mobile: '+6281234567890' }, ...overrides },
    { fullName: identity.name ?? 'Someone', identityNumber: identity.nik ?? '3171000101800001' },
  )
}

/** An access token of a freshly made platform operator (signed in through the real login form). */
export async function operatorToken(app: FastifyInstance, url: string, scope = 'openid registrations:read registrations:write'): Promise<{ token: string; username: string }> {
  const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })
  if (created.statusCode !== 201) throw new Error(`operator not created: ${created.body}`)
  const operator = created.json()
  return { token: await accessToken(url, operator.username, operator.password, scope), username: operator.username }
}

export async function accessToken(url: string, username: string, password: string, scope = 'openid profile email org:read'): Promise<string> {
  const swaggerUi = await swaggerUiClient(url)
  const { callback, verifier, state } = await signIn(url, swaggerUi, username, password, scope)
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: verifier, expectedState: state })
  return tokens.access_token
}
