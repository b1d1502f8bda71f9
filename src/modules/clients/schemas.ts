import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'
import { MACHINE_CLIENT_SCOPES } from '../../identity/scopes.ts'

const kind = Type.Union([Type.Literal('inhouse'), Type.Literal('surveyor'), Type.Literal('insurer')], {
  description: 'An in-house system of the organisation, a surveyor, or an insurer. The kind caps the scopes.',
})
const GRANTABLE_SCOPES = MACHINE_CLIENT_SCOPES.inhouse
const scopes = Type.Array(
  Type.Union(GRANTABLE_SCOPES.map((scope) => Type.Literal(scope))),
  {
    uniqueItems: true,
    minItems: 1,
    maxItems: GRANTABLE_SCOPES.length,
    description:
      'At most the kind allows (in-house: org:read permits:* reports:* webhooks:*; surveyor: permits:read reports:*; insurer: permits:read reports:write), and only scopes whose rights the creator holds (org:read = View on User Management, permits:read/write = View/Create on SSM Perizinan, reports:read/write = View/Create on Pelaporan Realisasi, webhooks:read = View and webhooks:write = View, Create, Edit and Delete on the API Catalogue).',
  },
)

const example = {
  clientId: 'surveyor-k3j2h1g4f5d6',
  organisationId: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00',
  name: 'PT Surveyor Indonesia (laporan realisasi)',
  kind: 'surveyor',
  scopes: ['reports:write'],
  status: 'active',
  createdBy: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  createdAt: '2026-11-22T08:00:00.000Z',
  revokedAt: null,
  previousSecretExpiresAt: null,
}

export const MachineClientSchema = Type.Object(
  {
    clientId: Type.String(),
    organisationId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    kind,
    scopes: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    createdBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    previousSecretExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'After a rotation, the old secret works until then.',
    }),
  },
  { $id: 'MachineClient', additionalProperties: false, examples: [example] },
)
export type MachineClient = Static<typeof MachineClientSchema>

export const MachineClientPageSchema = PageSchema('MachineClient', { $id: 'MachineClientPage' })

export const MachineClientCredentialsSchema = Type.Object(
  {
    client: Type.Ref('MachineClient'),
    clientSecret: Type.String({ description: 'Shown once: only a hash is stored. Authenticate at the token URL with HTTP Basic.' }),
    tokenUrl: Type.String({ format: 'uri' }),
  },
  {
    $id: 'MachineClientCredentials',
    additionalProperties: false,
    examples: [{ client: example, clientSecret: 'insw_cs_…', tokenUrl: 'http://127.0.0.1:3000/oidc/token' }],
  },
)
export type MachineClientCredentials = Static<typeof MachineClientCredentialsSchema>

export const CreateMachineClientSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }), kind, scopes },
  { $id: 'CreateMachineClient', additionalProperties: false, examples: [{ name: 'PT Surveyor Indonesia (laporan realisasi)', kind: 'surveyor', scopes: ['reports:write'] }] },
)
export type CreateMachineClient = Static<typeof CreateMachineClientSchema>

export const RotateClientSecretSchema = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600, default: 86400, description: 'How long the old secret keeps working (0–7 days; default 1 day).' }),
    ),
  },
  { $id: 'RotateClientSecret', additionalProperties: false, examples: [{ graceSeconds: 3600 }] },
)
export type RotateClientSecret = Static<typeof RotateClientSecretSchema>

export const MachineClientQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    kind: Type.Optional(kind),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')])),
  },
  { additionalProperties: false },
)
export type MachineClientQuery = Static<typeof MachineClientQuerySchema>
