/**
 * The one catalogue of problem types the gateway answers with. Each entry has a stable `code`
 * (integrators branch on it), an HTTP status and a title in English and Indonesian.
 * Adding a code is a contract change: the OpenAPI document lists them all.
 */
export interface ProblemDefinition {
  status: number
  title: { en: string; id: string }
}

export const problemCatalogue = {
  BAD_REQUEST: { status: 400, title: { en: 'Bad request', id: 'Permintaan tidak valid' } },
  MALFORMED_JSON: { status: 400, title: { en: 'Malformed JSON body', id: 'Badan JSON tidak dapat dibaca' } },
  UNAUTHENTICATED: { status: 401, title: { en: 'Authentication required', id: 'Autentikasi diperlukan' } },
  INVALID_TOKEN: { status: 401, title: { en: 'Invalid access token', id: 'Token akses tidak valid' } },
  INVALID_FEED_TOKEN: { status: 401, title: { en: 'Invalid calendar feed address', id: 'Alamat kalender tidak valid' } },
  FORBIDDEN: { status: 403, title: { en: 'Forbidden', id: 'Akses ditolak' } },
  INSUFFICIENT_SCOPE: { status: 403, title: { en: 'Insufficient scope', id: 'Cakupan akses tidak mencukupi' } },
  PARTNER_CLIENT_REQUIRED: { status: 403, title: { en: 'Only a surveyor\'s or insurer\'s machine client may push this', id: 'Hanya klien mesin surveyor atau asuransi yang dapat mengirim data ini' } },
  NOT_FOUND: { status: 404, title: { en: 'Resource not found', id: 'Sumber daya tidak ditemukan' } },
  ROUTE_NOT_FOUND: { status: 404, title: { en: 'Route not found', id: 'Rute tidak ditemukan' } },
  METHOD_NOT_ALLOWED: { status: 405, title: { en: 'Method not allowed', id: 'Metode tidak diizinkan' } },
  NOT_ACCEPTABLE: { status: 406, title: { en: 'Not acceptable', id: 'Format tidak dapat diterima' } },
  REQUEST_TIMEOUT: { status: 408, title: { en: 'Request timeout', id: 'Waktu permintaan habis' } },
  SUBMISSIONS_BLOCKED: { status: 403, title: { en: 'A sanction blocks new permit applications', id: 'Sanksi menghentikan pengajuan permohonan baru' } },
  CONFLICT: { status: 409, title: { en: 'Conflict', id: 'Konflik data' } },
  PERMIT_NOT_ISSUED: { status: 409, title: { en: 'The permit has no issued licence', id: 'Izin belum terbit' } },
  REPORT_ALREADY_SUBMITTED: { status: 409, title: { en: 'A report for this period exists: amend it', id: 'Laporan untuk periode ini sudah ada: ubah laporan tersebut' } },
  SHIPMENT_REFERENCE_CONFLICT: { status: 409, title: { en: 'shipmentReference already used with other data', id: 'shipmentReference sudah dipakai dengan data lain' } },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, title: { en: 'A request with this Idempotency-Key is still being processed', id: 'Permintaan dengan Idempotency-Key ini masih diproses' } },
  PAYLOAD_TOO_LARGE: { status: 413, title: { en: 'Payload too large', id: 'Ukuran data terlalu besar' } },
  URI_TOO_LONG: { status: 414, title: { en: 'URI too long', id: 'URI terlalu panjang' } },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: { en: 'Unsupported media type', id: 'Tipe media tidak didukung' } },
  VALIDATION_FAILED: { status: 422, title: { en: 'Validation failed', id: 'Validasi gagal' } },
  OVER_REALISATION: { status: 422, title: { en: 'More realised than the permit allows', id: 'Realisasi melebihi kuota izin' } },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: { en: 'Idempotency-Key reused with another request', id: 'Idempotency-Key dipakai untuk permintaan lain' } },
  RATE_LIMITED: { status: 429, title: { en: 'Too many requests', id: 'Terlalu banyak permintaan' } },
  HEADERS_TOO_LARGE: { status: 431, title: { en: 'Request headers too large', id: 'Header permintaan terlalu besar' } },
  INTERNAL_ERROR: { status: 500, title: { en: 'Internal server error', id: 'Kesalahan internal server' } },
  UPSTREAM_BAD_RESPONSE: { status: 502, title: { en: 'Upstream sent an invalid response', id: 'Sistem hulu mengirim respons tidak valid' } },
  OVERLOADED: { status: 503, title: { en: 'The gateway is overloaded', id: 'Gateway sedang kelebihan beban' } },
  SERVICE_UNAVAILABLE: { status: 503, title: { en: 'Service unavailable', id: 'Layanan tidak tersedia' } },
  UPSTREAM_UNAVAILABLE: { status: 503, title: { en: 'Upstream system unavailable', id: 'Sistem hulu tidak tersedia' } },
  UPSTREAM_TIMEOUT: { status: 504, title: { en: 'Upstream system timed out', id: 'Sistem hulu tidak merespons tepat waktu' } },
} as const satisfies Record<string, ProblemDefinition>

export type ProblemCode = keyof typeof problemCatalogue

export const problemCodes = Object.keys(problemCatalogue) as ProblemCode[]

/** Where each problem type is documented: stable, dereferenceable-looking URIs (RFC 9457 §3.1.1). */
export function problemTypeUri(code: ProblemCode): string {
  return `https://insw-gateway.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`
}
