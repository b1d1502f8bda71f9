/**
 * Server-rendered pages for people (login, password reset, errors): plain HTML forms that work
 * without JavaScript, readable on a phone, in Indonesian and English. Every interpolated value
 * goes through `escapeHtml`.
 */
import type { Language } from '../errors/language.ts'

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/** A template literal tag that escapes every value unless it is already `SafeHtml`. */
export class SafeHtml {
  readonly html: string
  constructor(html: string) {
    this.html = html
  }
  toString(): string {
    return this.html
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, index) => {
    const rendered = Array.isArray(value)
      ? value.map((item) => (item instanceof SafeHtml ? item.html : escapeHtml(item))).join('')
      : value instanceof SafeHtml
        ? value.html
        : escapeHtml(value)
    out += rendered + (strings[index + 1] ?? '')
  })
  return new SafeHtml(out)
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1c2430}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;padding:.6rem;font-size:1rem;border:1px solid #9aa5b1;border-radius:.35rem}
button,.button{display:block;width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;font-weight:600;border:0;border-radius:.35rem;background:#0b5cad;color:#fff;text-align:center;text-decoration:none;cursor:pointer}
.secondary{background:#e6ecf2;color:#0b5cad}.error{padding:.6rem;border-radius:.35rem;background:#fdecea;color:#8a1c12}
.notice{padding:.6rem;border-radius:.35rem;background:#e8f4ea;color:#1e5c2b}nav{margin-top:1rem;font-size:.9rem}
nav a{color:#0b5cad}.lang{text-align:right;font-size:.85rem}footer{text-align:center;font-size:.8rem;color:#5c6773;margin:1rem}
`

export function page(options: { language: Language; title: string; body: SafeHtml; languageSwitchUrl?: string }): string {
  const other = options.language === 'id' ? 'en' : 'id'
  const switchLink = options.languageSwitchUrl
    ? html`<p class="lang"><a href="${options.languageSwitchUrl}${options.languageSwitchUrl.includes('?') ? '&' : '?'}lang=${other}">${other === 'id' ? 'Bahasa Indonesia' : 'English'}</a></p>`
    : html``
  return `<!doctype html>
<html lang="${options.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(options.title)} · INSW</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${switchLink.html}
${options.body.html}
</main>
<footer>Indonesia National Single Window · INSW Gateway</footer>
</body>
</html>`
}
