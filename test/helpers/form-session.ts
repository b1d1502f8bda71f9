/**
 * A tiny browser stand-in for HTML flows: keeps cookies, follows nothing by itself (tests see
 * each redirect), and can submit a form the way a browser would (same-origin POST).
 */
export class FormSession {
  readonly cookies = new Map<string, string>()
  readonly origin?: string

  constructor(options: { origin?: string } = {}) {
    this.origin = options.origin
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';')
      const index = pair.indexOf('=')
      const name = pair.slice(0, index).trim()
      const value = pair.slice(index + 1).trim()
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async get(url: string | URL, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } })
    this.remember(response)
    return response
  }

  async post(url: string | URL, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: this.cookieHeader(),
        ...(this.origin ? { origin: this.origin } : {}),
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    })
    this.remember(response)
    return response
  }

  /** Follows redirects (GET) until one leaves for `stopAt`, or a page is returned. */
  async follow(response: Response, base: string, stopAt?: (url: URL) => boolean): Promise<{ response: Response; url: URL }> {
    let current = response
    let url = new URL(base)
    for (let hops = 0; hops < 10 && current.status >= 300 && current.status < 400; hops++) {
      url = new URL(current.headers.get('location')!, url)
      if (stopAt?.(url)) return { response: current, url }
      current = await this.get(url)
    }
    return { response: current, url }
  }
}

export function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replaceAll('&amp;', '&')
}

export function formAction(html: string): string | undefined {
  return /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&')
}
