/** Contract of the permit-type catalogue: what each permit needs, as fixtures/permit-types.json holds it. */
import { Type } from 'typebox'

const bilingual = (description: string) =>
  Type.Object({ en: Type.String(), id: Type.String() }, { additionalProperties: false, description: `${description} In English and Indonesian.` })

export const PermitTypeCodeParamsSchema = Type.Object(
  {
    code: Type.String({ maxLength: 32, pattern: '^[A-Za-z0-9-]+$', description: 'The permit type\'s code.', examples: ['PI-BAJA'] }),
  },
  { additionalProperties: false },
)

const example = {
  code: 'SK-TRANSAKSI',
  name: { en: 'Certificate (Surat Keterangan): transactional, one shipment', id: 'Surat Keterangan Transaksional (satu pengapalan)' },
  description: {
    en: 'Certificate for a single shipment, e.g. a statement that the goods are not subject to import restrictions. Valid for that shipment only.',
    id: 'Surat Keterangan untuk satu kali pengapalan, misalnya keterangan bahwa barang tidak termasuk barang yang dibatasi impornya. Berlaku untuk pengapalan tersebut saja.',
  },
  direction: 'import',
  businessType: 'IMPORTER',
  menu: 'SSM_PERIZINAN',
  certificateKind: 'transactional',
  slaWorkingDays: 2,
  validityDays: 90,
  surveyorVerification: false,
  allowedHsPrefixes: [],
  reportingObligation: {
    kind: 'after_validity',
    workingDays: 15,
    description: {
      en: "Realisation report within 15 working days after the certificate's validity ends.",
      id: 'Laporan realisasi paling lambat 15 hari kerja setelah masa berlaku Surat Keterangan berakhir.',
    },
  },
  requiredDocuments: [
    { type: 'PROFORMA_INVOICE', name: { en: 'Proforma invoice', id: 'Faktur proforma' }, required: true },
    { type: 'STATEMENT_LETTER', name: { en: 'Signed statement letter', id: 'Surat pernyataan bermeterai' }, required: true },
  ],
  payloadSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    required: ['lines', 'portOfDischarge', 'shipmentPeriod', 'purpose'],
    properties: {
      lines: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'object', description: '(abridged) hsCode, description, quantity, unit, value, currency, originCountry' } },
      portOfDischarge: { type: 'string', maxLength: 5, pattern: '^[A-Z]{2}[A-Z2-9]{3}$' },
      shipmentPeriod: { type: 'object', description: '(abridged) from, to' },
      purpose: { type: 'string', minLength: 1, maxLength: 500 },
    },
  },
}

export const PermitTypeSchema = Type.Object(
  {
    code: Type.String({ description: 'Stable code; `permitType` of a permit application.' }),
    name: bilingual('Name of the permit.'),
    description: bilingual('What the permit is for.'),
    direction: Type.Union([Type.Literal('import'), Type.Literal('export')]),
    businessType: Type.Union([Type.Literal('IMPORTER'), Type.Literal('EXPORTER')], {
      description: 'The business type the applying organisation must hold in OSS.',
    }),
    menu: Type.Literal('SSM_PERIZINAN', { description: 'The menu whose rights govern applications of this type (Create to submit, View to read).' }),
    certificateKind: Type.Optional(
      Type.Union([Type.Literal('transactional'), Type.Literal('periodic')], {
        description: 'Surat Keterangan only: for one shipment (transactional) or repeated shipments over its validity (periodic).',
      }),
    ),
    slaWorkingDays: Type.Integer({
      minimum: 1,
      description: 'Service level: the decision is due by the end (23:59:59.999 WIB) of this many working days after the day of submission (Asia/Jakarta; weekends, national holidays and cuti bersama excluded).',
    }),
    validityDays: Type.Integer({ minimum: 1, description: 'Validity of the issued licence, in calendar days.' }),
    surveyorVerification: Type.Boolean({ description: 'Each shipment needs a surveyor\'s verification (Laporan Surveyor) before it leaves.' }),
    allowedHsPrefixes: Type.Array(Type.String({ pattern: '^[0-9]{2,10}$' }), {
      description: 'HS code prefixes the type covers (digits only); empty: any HS code.',
    }),
    reportingObligation: Type.Object(
      {
        kind: Type.Union([Type.Literal('monthly'), Type.Literal('after_validity'), Type.Literal('importer_calendar'), Type.Literal('none')], {
          description: '`monthly`: by the 15th of the following month; `after_validity`: within `workingDays` after the licence expires; `importer_calendar`: end of January, April, July, October and December.',
        }),
        workingDays: Type.Optional(Type.Integer({ minimum: 1, description: 'For `after_validity`.' })),
        description: bilingual('The obligation in words.'),
      },
      { additionalProperties: false, description: 'Realisation reports the holder owes.' },
    ),
    requiredDocuments: Type.Array(
      Type.Object(
        {
          type: Type.String({ description: 'Document type, as sent with an application.', examples: ['PERTEK'] }),
          name: bilingual('Name of the document.'),
          required: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
    ),
    payloadSchema: Type.Object(
      {},
      {
        additionalProperties: true,
        description: 'JSON Schema (draft 2020-12) of the `payload` of an application of this type. Every string and array is bounded. HS codes may be written `0901.11.10` or `09011110`; the gateway keeps digits only.',
      },
    ),
  },
  { $id: 'PermitType', additionalProperties: false, examples: [example] },
)

export const PermitTypeListSchema = Type.Object(
  { items: Type.Array(Type.Ref('PermitType'), { description: 'Every permit type, in catalogue order.' }) },
  { $id: 'PermitTypeList', additionalProperties: false, description: 'The permit types offered through SSM Perizinan.', examples: [{ items: [example] }] },
)
