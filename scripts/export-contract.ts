/**
 * Writes the contract from the server's own routes (`npm run contract:export`): the production
 * document and the sandbox one. The contract test fails until the committed files match.
 */
import { writeFile } from 'node:fs/promises'
import { buildApp } from '../src/app.ts'
import { CONTRACT_PATHS, contractEnv, serializeContract, type ContractMode } from '../src/contract.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/database.ts'
import { generateSigningKey } from '../src/identity/keys.ts'
import { createUpstreams } from '../src/upstreams/index.ts'

const database = await openDatabase({})
// Never called while exporting: the adapters only need somewhere to point.
const upstreamUrls = { ossUrl: 'http://127.0.0.1:9', djpUrl: 'http://127.0.0.1:9', inatradeUrl: 'http://127.0.0.1:9' }
const upstreams = createUpstreams(upstreamUrls)
const signingKey = generateSigningKey()
for (const mode of Object.keys(CONTRACT_PATHS) as ContractMode[]) {
  const app = await buildApp({ config: loadConfig(contractEnv(mode, signingKey)), database, upstreams, upstreamUrls })
  await app.ready()
  await writeFile(CONTRACT_PATHS[mode], serializeContract(app))
  await app.close()
  console.log(`wrote ${CONTRACT_PATHS[mode].pathname}`)
}
await upstreams.close()
await database.close()
