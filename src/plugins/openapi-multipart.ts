/**
 * @fastify/swagger renders a multipart body as `{ schema }` only. OpenAPI wants an `encoding` per
 * part whose content type is not the default, so clients (Swagger UI included) send the JSON part
 * as `application/json` and label the file. Derived from the body schema itself: an object part
 * is JSON, a binary part takes its `contentMediaType`.
 */
type Json = Record<string, unknown>

function resolve(document: Json, schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/components/schemas/')) return schema
  return ((document.components as Json | undefined)?.schemas as Json | undefined)?.[ref.slice('#/components/schemas/'.length)] as Json | undefined
}

export function addMultipartEncodings(document: Json): Json {
  for (const item of Object.values((document.paths ?? {}) as Record<string, Json>)) {
    for (const operation of Object.values(item) as Json[]) {
      const media = ((operation?.requestBody as Json | undefined)?.content as Json | undefined)?.['multipart/form-data'] as Json | undefined
      const properties = resolve(document, media?.schema as Json | undefined)?.properties as Record<string, Json> | undefined
      if (!media || !properties) continue
      const encoding: Record<string, { contentType: string }> = {}
      for (const [name, property] of Object.entries(properties)) {
        const part = resolve(document, property)
        if (part?.type === 'object') encoding[name] = { contentType: 'application/json' }
        else if (typeof part?.contentMediaType === 'string') encoding[name] = { contentType: part.contentMediaType }
      }
      if (Object.keys(encoding).length) media.encoding = encoding
    }
  }
  return document
}
