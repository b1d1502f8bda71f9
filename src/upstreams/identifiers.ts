/**
 * Upstreams take identifiers as bare digits. People and forms write them with dots, dashes and
 * spaces (`01.234.567.8-901.000`); those separators go, anything else is left for the upstream to
 * refuse, so a typo never silently becomes a different identifier.
 */
export function normaliseIdentifier(value: string): string {
  return value.replace(/[\s.-]/g, '')
}
