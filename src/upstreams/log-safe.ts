/**
 * A request path fit for the log: the query string is dropped and every run of six or more digits
 * (NIB, NPWP, NIK, licence numbers) keeps only its last four, e.g. `/kswp/v1/taxpayers/***9012`.
 */
export function maskPath(path: string): string {
  const queryAt = path.indexOf('?')
  const bare = queryAt === -1 ? path : path.slice(0, queryAt)
  const masked = bare.replace(/\d{6,}/g, (digits) => `***${digits.slice(-4)}`)
  return queryAt === -1 ? masked : `${masked}?…`
}
