import { Type, type Static } from 'typebox'

export const CreateTestOrganisationSchema = Type.Object(
  {
    nib: Type.String({
      pattern: '^[0-9]{13}$',
      maxLength: 13,
      description: 'A sandbox NIB known to the OSS stub (see the README\'s sandbox identities).',
      examples: ['8120000000001'],
    }),
  },
  { $id: 'CreateTestOrganisation', additionalProperties: false, examples: [{ nib: '8120000000001' }] },
)
export type CreateTestOrganisation = Static<typeof CreateTestOrganisationSchema>

const CredentialsOnce = 'Shown once: only a hash is stored.'

export const TestMachineClientSchema = Type.Object(
  {
    clientId: Type.String(),
    clientSecret: Type.String({ description: CredentialsOnce }),
    kind: Type.Union([Type.Literal('inhouse'), Type.Literal('surveyor'), Type.Literal('insurer')]),
    scopes: Type.Array(Type.String()),
  },
  { $id: 'TestMachineClient', additionalProperties: false },
)

export const TestAccountSchema = Type.Object(
  {
    userId: Type.String({ format: 'uuid' }),
    username: Type.String({ examples: ['USER.20261122.01.00001'] }),
    password: Type.String({ description: CredentialsOnce }),
    email: Type.String({ format: 'email' }),
    fullName: Type.String(),
  },
  { $id: 'TestAccount', additionalProperties: false },
)

export const TestOrganisationSchema = Type.Object(
  {
    organisation: Type.Ref('OrganisationSummary'),
    superAdmin: Type.Ref('TestAccount'),
    clients: Type.Array(Type.Ref('TestMachineClient')),
    tokenUrl: Type.String({ format: 'uri' }),
  },
  {
    $id: 'TestOrganisation',
    additionalProperties: false,
    examples: [
      {
        organisation: { id: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00', name: 'PT Sandbox Impor Sejahtera', nib: '8120000000001' },
        superAdmin: {
          userId: '0b9c7f0e-3f55-4a0e-9a55-2f1b5d8c1e11',
          username: 'USER.20261122.01.00001',
          password: 'Sbx-7dG2…',
          email: 'budi.santoso@sandbox.example',
          fullName: 'Budi Santoso',
        },
        clients: [{ clientId: 'inhouse-k3j2h1g4f5d6', clientSecret: 'insw_cs_…', kind: 'inhouse', scopes: ['org:read', 'permits:write'] }],
        tokenUrl: 'http://127.0.0.1:3000/oidc/token',
      },
    ],
  },
)
export type TestOrganisation = Static<typeof TestOrganisationSchema>

export const CreateTestOperatorSchema = Type.Object(
  {
    fullName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, examples: ['Operator Sandbox'] })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  },
  { $id: 'CreateTestOperator', additionalProperties: false },
)
export type CreateTestOperator = Static<typeof CreateTestOperatorSchema>

export const MailSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    template: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'SandboxMail', additionalProperties: false },
)

export const MailboxSchema = Type.Object(
  { items: Type.Array(Type.Ref('SandboxMail')) },
  { $id: 'SandboxMailbox', additionalProperties: false },
)

export const SmsSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    to: Type.String(),
    text: Type.String(),
    template: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'SandboxSms', additionalProperties: false },
)

export const SmsOutboxSchema = Type.Object(
  { items: Type.Array(Type.Ref('SandboxSms')) },
  { $id: 'SandboxSmsOutbox', additionalProperties: false },
)

export const SandboxUpstreamsSchema = Type.Object(
  {
    oss: Type.String({ format: 'uri', description: 'Origin of the OSS stub (business identity by NIB).' }),
    djp: Type.String({ format: 'uri', description: 'Origin of the DJP KSWP stub (taxpayer status by NPWP).' }),
    inatrade: Type.String({ format: 'uri', description: 'Origin of the INATRADE stub (licensing).' }),
    controlApi: Type.String({
      description:
        'How to script a stub: `PUT {origin}/__sandbox/identities/{nib}` changes an identity (e.g. `"inatrade": { "mode": "down" }`), `GET {origin}/__sandbox/requests` reads its journal; see docs/sandbox-upstreams.md.',
    }),
  },
  {
    $id: 'SandboxUpstreams',
    additionalProperties: false,
    examples: [
      {
        oss: 'http://127.0.0.1:41001',
        djp: 'http://127.0.0.1:41002',
        inatrade: 'http://127.0.0.1:41003',
        controlApi: 'PUT {origin}/__sandbox/identities/{nib}; GET {origin}/__sandbox/requests (docs/sandbox-upstreams.md)',
      },
    ],
  },
)

export const SandboxClockSchema = Type.Object(
  {
    businessTime: Type.String({ format: 'date-time', description: 'The gateway\'s business time: what deadlines and sanctions are measured against.' }),
    realTime: Type.String({ format: 'date-time' }),
    offsetMs: Type.Integer({ description: 'How far business time runs ahead (negative: behind) of the real clock.' }),
    evaluation: Type.Optional(
      Type.Object(
        { reminders: Type.Integer({ minimum: 0 }), sanctions: Type.Integer({ minimum: 0 }), expired: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false, description: 'After a move: what the compliance evaluation, run at once at the new time, did.' },
      ),
    ),
  },
  { $id: 'SandboxClock', additionalProperties: false, examples: [{ businessTime: '2027-01-17T02:00:00.000Z', realTime: '2026-12-02T02:00:00.000Z', offsetMs: 3974400000 }] },
)

export const MoveSandboxClockSchema = Type.Object(
  {
    action: Type.Union([Type.Literal('advance'), Type.Literal('set'), Type.Literal('reset')], {
      description: '`advance` by `days`/`hours`/`minutes`; `set` to the instant `to`; `reset` to the real clock.',
    }),
    days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3660 })),
    hours: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  {
    $id: 'MoveSandboxClock',
    additionalProperties: false,
    examples: [{ action: 'advance', days: 46 }, { action: 'set', to: '2027-01-17T09:00:00+07:00' }, { action: 'reset' }],
  },
)
export type MoveSandboxClock = Static<typeof MoveSandboxClockSchema>
