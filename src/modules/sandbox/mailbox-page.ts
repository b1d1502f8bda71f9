/** The sandbox mailbox as a small HTML page: a tester reads the mail and clicks its links. */
import type { Language } from '../../errors/language.ts'
import { escapeHtml, html, page, SafeHtml } from '../../http/html.ts'

/** Escapes the text, then turns http(s) URLs into links (the only markup added). */
function linkify(text: string): SafeHtml {
  const escaped = escapeHtml(text)
  return new SafeHtml(escaped.replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`))
}

export function mailboxPage(options: { language: Language; to: string; mails: { subject: string; text: string; createdAt: string }[] }): string {
  const title = options.language === 'id' ? 'Kotak surat sandbox' : 'Sandbox mailbox'
  const empty = options.language === 'id' ? 'Belum ada email untuk alamat ini.' : 'No mail for this address yet.'
  const address = options.language === 'id' ? 'Alamat email' : 'Email address'
  const show = options.language === 'id' ? 'Tampilkan' : 'Show'
  const items = options.mails.map(
    (mail) => html`<article><h2>${mail.subject}</h2><p><small>${mail.createdAt}</small></p><pre style="white-space:pre-wrap;font:inherit">${linkify(mail.text)}</pre></article><hr>`,
  )
  return page({
    language: options.language,
    title,
    body: html`<h1>${title}</h1>
<form method="get" action="/sandbox/mailbox"><label for="to">${address}</label><input id="to" name="to" type="email" value="${options.to}" required><button type="submit">${show}</button></form>
${options.to ? (items.length ? items : html`<p class="notice">${empty}</p>`) : html``}`,
  })
}
