/**
 * Verification belongs to an address: a user's email is verified while it equals the address
 * that was proven (\`account_contacts.verified_email\`), compared without case.
 */
export function emailIsVerified(email: string, verifiedEmail: string | null | undefined): boolean {
  return Boolean(verifiedEmail) && verifiedEmail!.toLowerCase() === email.toLowerCase()
}
