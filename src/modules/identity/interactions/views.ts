/** The HTML of the login, forgot-password and reset-password pages. */
import type { Language } from '../../../errors/language.ts'
import { html, page, type SafeHtml } from '../../../http/html.ts'
import { textsFor } from './texts.ts'

function message(kind: 'error' | 'notice', text: string | undefined): SafeHtml {
  return text ? html`<p class="${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>` : html``
}

export function loginPage(options: {
  language: Language
  uid: string
  csrf: string
  username?: string
  error?: string
  federated: { oss: boolean; kemendag: boolean }
}): string {
  const t = textsFor(options.language)
  const base = `/interaction/${options.uid}`
  return page({
    language: options.language,
    title: t.signIn,
    languageSwitchUrl: base,
    body: html`<h1>${t.signIn}</h1>
${message('error', options.error)}
<form method="post" action="${base}/login?lang=${options.language}" autocomplete="on">
  <input type="hidden" name="csrf" value="${options.csrf}">
  <label for="username">${t.username}</label>
  <input id="username" name="username" autocomplete="username" autocapitalize="none" required value="${options.username ?? ''}" ${options.username ? '' : 'autofocus'}>
  <label for="password">${t.password}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required ${options.username ? 'autofocus' : ''}>
  <button type="submit">${t.submit}</button>
</form>
<nav><a href="/account/forgot-password?lang=${options.language}">${t.forgot}</a></nav>
<h2 style="font-size:1rem;margin-top:1.5rem">${t.otherOptions}</h2>
${options.federated.oss ? html`<a class="button secondary" href="${base}/federated/oss">${t.withOss}</a>` : html``}
${options.federated.kemendag ? html`<a class="button secondary" href="${base}/federated/sso_kemendag">${t.withKemendag}</a>` : html``}
<nav><a href="${base}/abort">${t.cancel}</a></nav>`,
  })
}

export function noticePage(options: { language: Language; title: string; error?: string; notice?: string; backUrl?: string }): string {
  const t = textsFor(options.language)
  return page({
    language: options.language,
    title: options.title,
    body: html`<h1>${options.title}</h1>
${message('error', options.error)}
${message('notice', options.notice)}
${options.backUrl ? html`<nav><a href="${options.backUrl}">${t.backToLogin}</a></nav>` : html``}`,
  })
}

export function forgotPasswordPage(options: { language: Language; notice?: string; error?: string }): string {
  const t = textsFor(options.language)
  return page({
    language: options.language,
    title: t.forgotTitle,
    languageSwitchUrl: '/account/forgot-password',
    body: html`<h1>${t.forgotTitle}</h1>
${message('notice', options.notice)}
${message('error', options.error)}
<p>${t.forgotIntro}</p>
<form method="post" action="/account/forgot-password?lang=${options.language}">
  <label for="email">${t.email}</label>
  <input id="email" name="email" type="email" autocomplete="email" required>
  <label for="username">${t.username}</label>
  <input id="username" name="username" autocomplete="username" autocapitalize="none" required>
  <button type="submit">${t.sendLink}</button>
</form>`,
  })
}

export function resetPasswordPage(options: { language: Language; token: string; error?: string }): string {
  const t = textsFor(options.language)
  return page({
    language: options.language,
    title: t.resetTitle,
    body: html`<h1>${t.resetTitle}</h1>
${message('error', options.error)}
<p>${t.resetIntro}</p>
<form method="post" action="/account/reset-password?lang=${options.language}">
  <input type="hidden" name="token" value="${options.token}">
  <label for="password">${t.newPassword}</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
  <label for="confirm">${t.confirmPassword}</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required>
  <button type="submit">${t.save}</button>
</form>`,
  })
}
