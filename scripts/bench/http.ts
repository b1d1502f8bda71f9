/** A fetch that insists on one status and answers the JSON body: a wrong answer stops the bench. */
export async function json(url: string, init: RequestInit & { expect: number }): Promise<Record<string, unknown>> {
  const response = await fetch(url, init)
  const body = await response.text()
  if (response.status !== init.expect) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${body}`)
  return JSON.parse(body) as Record<string, unknown>
}
