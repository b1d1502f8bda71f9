/** A valid submission of an import approval for sugar (PI-GULA in fixtures/permit-types.json). */
export function sampleSubmission(clientReference: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    permitType: 'PI-GULA',
    clientReference,
    payload: {
      lines: [
        { hsCode: '1701.14.00', description: 'Raw cane sugar for refining', quantity: 25_000, unit: 'TNE', value: 11_250_000, currency: 'USD', originCountry: 'TH' },
      ],
      portOfDischarge: 'IDTPP',
      shipmentPeriod: { from: '2027-01-10', to: '2027-03-31' },
      pertekNumber: 'PERTEK-IND/2026/000123',
      pertekDate: '2026-11-20',
    },
    documents: [
      { type: 'NIB', name: 'nib.pdf' },
      { type: 'PROFORMA_INVOICE', name: 'proforma.pdf' },
      { type: 'PERTEK', name: 'pertek.pdf' },
    ],
    ...overrides,
  }
}
