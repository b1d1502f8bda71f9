/**
 * Writes openapi/openapi.json from the server's own routes (`npm run contract:export`).
 * The contract test fails until the committed file matches what the server publishes.
 */
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.ts'
import { CONTRACT_PATH, serializeContract } from '../src/contract.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/database.ts'
import { createUpstreams } from '../src/upstreams/index.ts'

const database = await openDatabase({})
// Never called while exporting: the adapters only need somewhere to point.
const upstreams = createUpstreams({ ossUrl: 'http://127.0.0.1:9', djpUrl: 'http://127.0.0.1:9', inatradeUrl: 'http://127.0.0.1:9' })
const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), database, upstreams })
await app.ready()
await writeFile(CONTRACT_PATH, serializeContract(app))
await app.close()
await upstreams.close()
await database.close()
console.log(`wrote ${CONTRACT_PATH.pathname}`)
