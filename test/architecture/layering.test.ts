// The layers below the feature modules (plugins and what they share) must not reach up into a
// module: a plugin that imports a module ties every feature to that one (architecture.md, Layout).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const LOWER_LAYERS = ['src/plugins', 'src/identity', 'src/http', 'src/db', 'src/errors', 'src/upstreams', 'src/jobs', 'src/mail', 'src/calendar']

function tsFiles(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return tsFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

function relativeImports(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8')
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!)
  return specifiers.map((specifier) => relative(root, resolve(root, dirname(file), specifier)))
}

t.test('no plugin or shared layer imports a feature module', async (t) => {
  const files = LOWER_LAYERS.flatMap(tsFiles)
  t.ok(files.length > 20, `scanned ${files.length} files`)
  const offending = files.flatMap((file) =>
    relativeImports(file)
      .filter((target) => target.startsWith('src/modules/'))
      .map((target) => `${file} imports ${target}`),
  )
  t.same(offending, [], 'imports from src/modules/ below the modules')
})

t.test('the scan sees an import that reaches into a module', async (t) => {
  // Guards the pattern itself: a regression here would let the check above pass vacuously.
  const plugin = tsFiles('src/plugins').find((file) => relativeImports(file).some((target) => target.startsWith('src/identity/')))
  t.ok(plugin, 'a plugin importing src/identity/ is recognised')
})
