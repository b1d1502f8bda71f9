/**
 * The console's pages: plain server-rendered HTML (no script, no build step), one column on a
 * phone and tables that scroll sideways inside their box, landmarks and labels for screen readers,
 * focus outlines kept. Every value goes through the `html` tag's escaping.
 */
import type { Language } from '../../errors/language.ts'
import { escapeHtml, html, type SafeHtml } from '../../http/html.ts'
import { consoleTexts, type ConsoleTexts } from './texts.ts'

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1c2430}
header{background:#0b3d6e;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center}
header strong{font-size:1.05rem;margin-right:auto}header a,header button{color:#fff}header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header form{display:inline;margin:0}header button{background:none;border:1px solid #fff;border-radius:.3rem;padding:.2rem .6rem;font:inherit;cursor:pointer}
a{color:#0b5cad}a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #f0b400;outline-offset:2px}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}section{background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1rem;margin-bottom:1rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .75rem}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%;min-width:32rem}th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e1e6ec;vertical-align:top}
th{font-size:.85rem;color:#4a5561}dl{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.3rem 1rem;margin:0}dt{font-weight:600}dd{margin:0;word-break:break-word}
label{display:block;margin:.5rem 0 .25rem;font-weight:600}textarea,input[type=text]{width:100%;padding:.5rem;font:inherit;border:1px solid #9aa5b1;border-radius:.35rem}
button.action{margin-top:.5rem;padding:.55rem 1.1rem;font:inherit;font-weight:600;border:0;border-radius:.35rem;background:#0b5cad;color:#fff;cursor:pointer}
button.danger{background:#a4262c}.row{display:flex;flex-wrap:wrap;gap:1rem}.row>*{flex:1 1 18rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85rem;background:#e6ecf2}.bad{background:#fdecea;color:#8a1c12}.good{background:#e8f4ea;color:#1e5c2b}
.error{padding:.6rem;border-radius:.35rem;background:#fdecea;color:#8a1c12}.notice{padding:.6rem;border-radius:.35rem;background:#e8f4ea;color:#1e5c2b}
.count{font-size:2rem;font-weight:700;display:block}ol.timeline{margin:0;padding-left:1.25rem}ol.timeline li{margin:.2rem 0 .7rem;word-break:break-word}.lang{font-size:.85rem}
@media (max-width:40rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}}
`

export interface Layout {
  language: Language
  title: string
  /** The operator's name; absent on the sign-in page. */
  operator?: string
  csrf?: string
  /** The path of this page, for the language switch. */
  path: string
  notice?: string
  error?: string
}

export function consolePage(layout: Layout, body: SafeHtml): string {
  const t = consoleTexts(layout.language)
  const other = layout.language === 'id' ? 'en' : 'id'
  const switchUrl = `${layout.path}${layout.path.includes('?') ? '&' : '?'}lang=${other}`
  const navigation = layout.operator
    ? html`<nav aria-label="${t.console}"><a href="/console">${t.overview}</a><a href="/console/registrations">${t.registrations}</a><a href="/console/jobs">${t.jobs}</a><a href="/console/compliance">${t.compliance}</a><a href="/console/permits">${t.permits}</a></nav>
<span>${t.signedInAs} ${layout.operator}</span>
<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="${layout.csrf ?? ''}"><button type="submit">${t.signOut}</button></form>`
    : html``
  return `<!doctype html>
<html lang="${layout.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(layout.title)} · ${escapeHtml(t.console)} · INSW</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong>INSW · ${escapeHtml(t.console)}</strong>${navigation.html}<a class="lang" href="${escapeHtml(switchUrl)}" hreflang="${other}">${other === 'id' ? 'Bahasa Indonesia' : 'English'}</a></header>
<main>
<h1>${escapeHtml(layout.title)}</h1>
${layout.notice ? html`<p class="notice" role="status">${layout.notice}</p>`.html : ''}
${layout.error ? html`<p class="error" role="alert">${layout.error}</p>`.html : ''}
${body.html}
</main>
</body>
</html>`
}

export function signInPage(language: Language, error?: string): string {
  const t = consoleTexts(language)
  return consolePage({ language, title: t.console, path: '/console/login', error }, html`<section><p><a href="/console/login?start=1&amp;lang=${language}">${t.signIn}</a></p></section>`)
}

/** A date-time shown in Jakarta time, which is what operators read. */
export function when(value: string | null | undefined, language: Language): string {
  if (!value) return '–'
  return new Intl.DateTimeFormat(language === 'id' ? 'id-ID' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' }).format(new Date(value)) + ' WIB'
}

export function table(headers: string[], rows: SafeHtml[][], t: ConsoleTexts): SafeHtml {
  if (rows.length === 0) return html`<p>${t.none}</p>`
  return html`<div class="table" tabindex="0"><table><thead><tr>${headers.map((header) => html`<th scope="col">${header}</th>`)}</tr></thead><tbody>${rows.map((cells) => html`<tr>${cells.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table></div>`
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`
}
