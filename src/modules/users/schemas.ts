import { Type, type Static } from 'typebox'
import { PageQuerySchema, PageSchema } from '../../http/pagination.ts'

const level = Type.Union([Type.Literal('admin'), Type.Literal('non_admin')], {
  description: 'A super admin creates admins and non-admins, an admin non-admins only. Must equal the group\'s level.',
})
const phone = (description: string) => Type.String({ pattern: '^\\+?[0-9 ()-]{6,20}$', maxLength: 20, description, examples: ['+62 21 3456789'] })

const profileFields = {
  fullName: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['Siti Rahmawati'] }),
  position: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'Job title (jabatan).', examples: ['Staf Ekspor Impor'] }),
  nik: Type.String({
    pattern: '^[0-9]{16}$|^[0-9 .]{16,24}$',
    maxLength: 24,
    description: 'Nomor Induk Kependudukan: 16 digits (spaces and dots are ignored). Personal data: masked in lists.',
    examples: ['3171234567890001'],
  }),
  employeeNumber: Type.String({ maxLength: 50, description: 'Employee number (optional).' }),
  sikNumber: Type.String({ maxLength: 50, description: 'Work-permit (SIK) number (optional).' }),
  phone: phone('Office phone.'),
  mobile: phone('Mobile phone.'),
  fax: phone('Fax (optional).'),
  email: Type.String({ format: 'email', maxLength: 254, examples: ['siti.rahmawati@sandbox.example'] }),
  address: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', examples: ['Jl. Medan Merdeka Barat No. 1, Jakarta Pusat'] }),
  postalCode: Type.String({ pattern: '^[0-9]{5}$', maxLength: 5, examples: ['10110'] }),
  shippingLineCode: Type.String({ maxLength: 20, pattern: '^[A-Za-z0-9]{1,20}$', description: 'Shipping-line code (optional, shipping lines only).' }),
}

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

export const OrgUserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    organisationId: Type.String({ format: 'uuid' }),
    username: Type.String(),
    fullName: Type.String(),
    position: nullable(Type.String()),
    nik: nullable(Type.String({ description: 'Full NIK when reading one user; masked (`3171********0001`) in lists.' })),
    employeeNumber: nullable(Type.String()),
    sikNumber: nullable(Type.String()),
    phone: nullable(Type.String()),
    mobile: nullable(Type.String()),
    fax: nullable(Type.String()),
    email: Type.String({ format: 'email', description: 'Where the user\'s mail (and any password-reset link) goes. A changed email stays in `pendingEmail` until confirmed.' }),
    emailVerified: Type.Boolean({ description: 'True once a link mailed to `email` was used (activation, verification or a confirmed change).' }),
    pendingEmail: Type.Union([Type.String({ format: 'email' }), Type.Null()], {
      description: 'A new email waiting for confirmation from that address (a link mailed there, valid 24 hours). It receives nothing else; null when no change is pending.',
    }),
    address: nullable(Type.String()),
    postalCode: nullable(Type.String()),
    shippingLineCode: nullable(Type.String()),
    level: Type.Union([Type.Literal('super_admin'), Type.Literal('admin'), Type.Literal('non_admin')]),
    groupId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'Null for the super admin.' }),
    status: Type.Union([Type.Literal('pending_verification'), Type.Literal('active'), Type.Literal('locked'), Type.Literal('disabled')]),
    createdBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The parent user: the one who changes this user\'s menus.' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  {
    $id: 'OrgUser',
    additionalProperties: false,
    examples: [
      {
        id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        organisationId: '5d1d6a0c-8b7e-4b8a-9a6e-9f3a3c2b1d00',
        username: 'siti.admin',
        fullName: 'Siti Rahmawati',
        position: 'Manajer Ekspor Impor',
        nik: '3171234567890001',
        employeeNumber: null,
        sikNumber: null,
        phone: '+62 21 3456789',
        mobile: '+62 812 3456 7890',
        fax: null,
        email: 'siti.rahmawati@sandbox.example',
        emailVerified: false,
        pendingEmail: null,
        address: 'Jl. Medan Merdeka Barat No. 1, Jakarta Pusat',
        postalCode: '10110',
        shippingLineCode: null,
        level: 'admin',
        groupId: '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d',
        status: 'pending_verification',
        createdBy: '0b9c7f0e-3f55-4a0e-9a55-2f1b5d8c1e11',
        createdAt: '2026-11-22T08:00:00.000Z',
        updatedAt: '2026-11-22T08:00:00.000Z',
      },
    ],
  },
)
export type OrgUser = Static<typeof OrgUserSchema>

export const OrgUserPageSchema = PageSchema('OrgUser', { $id: 'OrgUserPage', description: 'A page of users, newest first; NIKs are masked.' })

export const CreateOrgUserSchema = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$', maxLength: 64, description: 'Sign-in name, unique in INSW (3–64 letters, digits, `.`, `_`, `-`). The shape of generated names (`USER.YYYYMMDD.NN.NNNNN`, `OPERATOR.…`) is reserved: `422` with reason `username_reserved`.' }),
    fullName: profileFields.fullName,
    position: profileFields.position,
    nik: profileFields.nik,
    employeeNumber: Type.Optional(profileFields.employeeNumber),
    sikNumber: Type.Optional(profileFields.sikNumber),
    phone: profileFields.phone,
    mobile: profileFields.mobile,
    fax: Type.Optional(profileFields.fax),
    email: profileFields.email,
    address: profileFields.address,
    postalCode: profileFields.postalCode,
    shippingLineCode: Type.Optional(profileFields.shippingLineCode),
    level,
    groupId: Type.String({ format: 'uuid', maxLength: 36, description: 'The user\'s group: its rights are the user\'s rights. Its level must equal `level`.' }),
    acceptTerms: Type.Literal(true, { description: 'The terms of use are accepted.' }),
  },
  {
    $id: 'CreateOrgUser',
    additionalProperties: false,
    examples: [
      {
        username: 'siti.admin',
        fullName: 'Siti Rahmawati',
        position: 'Manajer Ekspor Impor',
        nik: '3171234567890001',
        phone: '+62 21 3456789',
        mobile: '+62 812 3456 7890',
        email: 'siti.rahmawati@sandbox.example',
        address: 'Jl. Medan Merdeka Barat No. 1, Jakarta Pusat',
        postalCode: '10110',
        level: 'admin',
        groupId: '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d',
        acceptTerms: true,
      },
    ],
  },
)
export type CreateOrgUser = Static<typeof CreateOrgUserSchema>

export const UpdateOrgUserSchema = Type.Object(
  {
    fullName: Type.Optional(profileFields.fullName),
    position: Type.Optional(profileFields.position),
    nik: Type.Optional(profileFields.nik),
    employeeNumber: Type.Optional(nullable(profileFields.employeeNumber)),
    sikNumber: Type.Optional(nullable(profileFields.sikNumber)),
    phone: Type.Optional(profileFields.phone),
    mobile: Type.Optional(profileFields.mobile),
    fax: Type.Optional(nullable(profileFields.fax)),
    email: Type.Optional(
      Type.String({
        format: 'email',
        maxLength: 254,
        examples: ['siti.rahmawati@sandbox.example'],
        description:
          'A new email does not replace the current one at once: it becomes `pendingEmail`, gets a confirmation link (24 hours), and the current address is told. Mail, password resets included, keeps going to the current address until the link is used. The current, verified address again cancels a pending change.',
      }),
    ),
    address: Type.Optional(profileFields.address),
    postalCode: Type.Optional(profileFields.postalCode),
    shippingLineCode: Type.Optional(nullable(profileFields.shippingLineCode)),
    groupId: Type.Optional(
      Type.String({ format: 'uuid', maxLength: 36, description: 'Move the user to another group (their menus change): only the user who created them may. The user\'s level follows the group\'s.' }),
    ),
  },
  {
    $id: 'UpdateOrgUser',
    additionalProperties: false,
    minProperties: 1,
    description: '`level`, `username`, `organisationId` and `status` are not editable here.',
    examples: [{ position: 'Kepala Bagian Ekspor', groupId: '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d' }],
  },
)
export type UpdateOrgUser = Static<typeof UpdateOrgUserSchema>

export const OrgUserQuerySchema = Type.Object(
  {
    ...PageQuerySchema,
    level: Type.Optional(Type.Union([Type.Literal('super_admin'), Type.Literal('admin'), Type.Literal('non_admin')])),
    status: Type.Optional(Type.Union([Type.Literal('pending_verification'), Type.Literal('active'), Type.Literal('locked'), Type.Literal('disabled')])),
    groupId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36 })),
  },
  { additionalProperties: false },
)
export type OrgUserQuery = Static<typeof OrgUserQuerySchema>
