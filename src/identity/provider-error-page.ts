/** The provider's own error page, in the shared page style; only the OAuth error and its description are shown. */
import type { KoaContextWithOIDC } from 'oidc-provider'
import { negotiateLanguage } from '../errors/language.ts'
import { html, page } from '../http/html.ts'

export async function renderProviderError(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }, _error: unknown) {
  const language = negotiateLanguage(ctx.get('accept-language'))
  ctx.type = 'html'
  ctx.body = page({
    language,
    title: language === 'id' ? 'Terjadi kesalahan' : 'Something went wrong',
    body: html`<h1>${language === 'id' ? 'Terjadi kesalahan' : 'Something went wrong'}</h1>
<p class="error"><strong>${out.error ?? 'server_error'}</strong>: ${out.error_description ?? ''}</p>`,
  })
}
