import { Type, type Static } from 'typebox'

export const OrganisationSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    nib: Type.Union([Type.String({ pattern: '^[0-9]{13}$' }), Type.Null()], { description: 'Nomor Induk Berusaha; null when the organisation has none.' }),
  },
  { $id: 'OrganisationSummary', additionalProperties: false },
)

export const MeSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('client')], { description: 'A person, or a machine client (client credentials).' }),
    subject: Type.String({ description: 'The token\'s `sub`: a user id, or the client id for machine clients.' }),
    clientId: Type.String({ description: 'The OAuth client the token was issued to.' }),
    user: Type.Optional(
      Type.Object(
        {
          id: Type.String({ format: 'uuid' }),
          username: Type.String({ examples: ['USER.20261122.01.00001'] }),
          fullName: Type.String(),
          email: Type.String({ format: 'email' }),
          level: Type.Union([Type.Literal('super_admin'), Type.Literal('admin'), Type.Literal('non_admin'), Type.Literal('platform_operator')]),
          status: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    client: Type.Optional(
      Type.Object(
        {
          clientId: Type.String(),
          name: Type.String(),
          kind: Type.Union([Type.Literal('inhouse'), Type.Literal('surveyor'), Type.Literal('insurer')]),
        },
        { additionalProperties: false },
      ),
    ),
    organisation: Type.Union([Type.Ref('OrganisationSummary'), Type.Null()], { description: 'Null for platform operators.' }),
    scopes: Type.Array(
      Type.Object({ scope: Type.String(), description: Type.String() }, { additionalProperties: false }),
      { description: 'What this token may do at the API (the ceiling; organisation rights narrow it further).' },
    ),
    rights: Type.Optional(
      Type.Array(Type.Ref('MenuRights'), {
        description:
          'Organisation users: the effective rights, per menu the allowed actions (the group\'s enabled menus the organisation has; every right for the super admin). Read at each request.',
      }),
    ),
  },
  {
    $id: 'Me',
    additionalProperties: false,
    examples: [
      {
        kind: 'user',
        subject: '0b9c7f0e-3f55-4a0e-9a55-2f1b5d8c1e11',
        clientId: 'swagger-ui',
        user: {
          id: '0b9c7f0e-3f55-4a0e-9a55-2f1b5d8c1e11',
          username: 'USER.20261122.01.00001',
          fullName: 'Budi Santoso',
          email: 'budi.santoso@sandbox.example',
          level: 'super_admin',
          status: 'active',
        },
        organisation: { id: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00', name: 'PT Sandbox Impor Sejahtera', nib: '8120000000001' },
        scopes: [{ scope: 'permits:write', description: 'Submit permit applications' }],
        rights: [{ menu: 'SSM_PERIZINAN', actions: ['create', 'view', 'edit', 'delete', 'approve', 'reject'] }],
      },
    ],
  },
)

export type Me = Static<typeof MeSchema>
