/**
 * The HTML a person sees at a sandbox identity provider: the login form, the logout confirmation
 * and the error page, dressed as the IdP ("OSS — Login", "SSO Kemendag — Login"). Plain forms, no
 * JavaScript, so they work in any browser and with a scripted HTTP client.
 */

export interface IdpLook {
  /** "OSS", "SSO Kemendag". */
  title: string
  /** The line under the title. */
  tagline: string
  /** Header colour and button colour. */
  primary: string
  accent: string
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** For the `content-security-policy` header: inline styles only, nothing else loads. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"

function page(look: IdpLook, heading: string, body: string): string {
  const title = `${look.title} — ${heading}`
  return `<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:#eef1f5;color:#1f2933}
header{background:${look.primary};color:#fff;padding:18px 24px;border-bottom:4px solid ${look.accent}}
header .brand{font-size:1.4rem;font-weight:700;letter-spacing:.02em}
header .tagline{font-size:.85rem;opacity:.85}
main{max-width:380px;margin:40px auto;background:#fff;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.12);padding:28px}
h1{font-size:1.3rem;margin:0 0 8px}
p{line-height:1.45}
label{display:block;font-size:.9rem;font-weight:600;margin:16px 0 6px}
input[type=text],input[type=password]{width:100%;padding:10px;font-size:1rem;border:1px solid #b8c2cc;border-radius:4px}
.actions{display:flex;gap:8px;margin-top:22px}
button{flex:1;padding:11px;font-size:1rem;font-weight:600;border-radius:4px;border:1px solid ${look.primary};cursor:pointer}
button.primary{background:${look.primary};color:#fff}
button.secondary{background:#fff;color:${look.primary}}
.error{background:#fdecea;border:1px solid #f5c2c0;color:#8a1c14;border-radius:4px;padding:10px 12px}
.muted{color:#616e7c;font-size:.85rem}
footer{text-align:center;color:#616e7c;font-size:.8rem;margin:0 0 32px}
</style>
</head>
<body>
<header><div class="brand">${escapeHtml(look.title)}</div><div class="tagline">${escapeHtml(look.tagline)}</div></header>
<main>
<h1>${escapeHtml(heading)}</h1>
${body}
</main>
<footer>Sandbox: bukan layanan ${escapeHtml(look.title)} yang sebenarnya. Akun uji ada di fixtures/sandbox-sso-accounts.json.</footer>
</body>
</html>
`
}

export interface LoginPageOptions {
  /** Where the form posts: the interaction URL. */
  action: string
  /** The application asking, e.g. "INSW Gateway". */
  clientName: string
  username?: string
  error?: string
}

export function loginPage(look: IdpLook, options: LoginPageOptions): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>\n` : ''
  // A known username (typed before, or the gateway's login_hint): the password is what is left.
  const focusUsername = !options.username
  return page(look, 'Login', `<p>Aplikasi <strong>${escapeHtml(options.clientName)}</strong> meminta Anda masuk dengan akun ${escapeHtml(look.title)}.</p>
${error}<form method="post" action="${escapeHtml(options.action)}">
<label for="username">Nama pengguna</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required${focusUsername ? ' autofocus' : ''} value="${escapeHtml(options.username ?? '')}">
<label for="password">Kata sandi</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${focusUsername ? '' : ' autofocus'}>
<div class="actions">
<button type="submit" class="primary" name="action" value="login">Masuk</button>
<button type="submit" class="secondary" name="action" value="cancel" formnovalidate>Batal</button>
</div>
</form>`)
}

export function errorPage(look: IdpLook, message: string, details: Record<string, string | undefined> = {}): string {
  const rows = Object.entries(details)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .map(([key, value]) => `<br><code>${escapeHtml(key)}</code>: ${escapeHtml(value)}`)
    .join('')
  return page(look, 'Terjadi kesalahan', `<p class="error" role="alert">${escapeHtml(message)}</p>
<p class="muted">Kembali ke aplikasi asal dan mulai login lagi.${rows}</p>`)
}

/** `form` is oidc-provider's hidden form (its id is `op.logoutForm`); the buttons submit it. */
export function logoutPage(look: IdpLook, form: string): string {
  return page(look, 'Logout', `<p>Keluar dari akun ${escapeHtml(look.title)} Anda?</p>
${form}
<div class="actions">
<button type="submit" class="primary" form="op.logoutForm" name="logout" value="yes" autofocus>Ya, keluar</button>
<button type="submit" class="secondary" form="op.logoutForm">Tidak</button>
</div>`)
}

export function loggedOutPage(look: IdpLook): string {
  return page(look, 'Logout', `<p>Anda sudah keluar dari ${escapeHtml(look.title)}. Halaman ini boleh ditutup.</p>`)
}
