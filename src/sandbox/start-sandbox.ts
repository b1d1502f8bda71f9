/**
 * Starts the three sandbox stubs on loopback ports, sharing one identity store. The gateway calls
 * this for each upstream whose `*_URL` is unset; `npm run sandbox` runs them alone.
 */
import type { FastifyInstance } from 'fastify'
import { buildDjpStub } from './djp-stub.ts'
import { IdentityStore, loadFixtures } from './fixtures.ts'
import { buildInatradeStub } from './inatrade-stub.ts'
import { buildOssStub } from './oss-stub.ts'

export interface StartSandboxOptions {
  host?: string
  /** 0 (the default) picks a free port. */
  ports?: { oss?: number; djp?: number; inatrade?: number }
  /** Default: fixtures/sandbox-identities.json. */
  fixturesPath?: string | URL
  timeScale?: number
  callbackSecret?: string
  logger?: boolean | object
}

export interface Sandbox {
  /** Origins (no trailing slash); the stub paths (`/oss/v1/...`) go after them. */
  ossUrl: string
  djpUrl: string
  inatradeUrl: string
  close(): Promise<void>
}

function originOf(app: FastifyInstance, host: string): string {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('sandbox stub is not listening on TCP')
  // A wildcard bind is reachable on loopback; an IPv6 literal needs brackets in a URL.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1'
  const identities = new IdentityStore(await loadFixtures(options.fixturesPath))
  const common = { identities, logger: options.logger, timeScale: options.timeScale }
  const stubs = {
    oss: await buildOssStub(common),
    djp: await buildDjpStub(common),
    inatrade: await buildInatradeStub({ ...common, callbackSecret: options.callbackSecret }),
  }
  const all = Object.values(stubs)
  const close = async (): Promise<void> => {
    await Promise.all(all.map((stub) => stub.close()))
  }
  try {
    await stubs.oss.listen({ host, port: options.ports?.oss ?? 0 })
    await stubs.djp.listen({ host, port: options.ports?.djp ?? 0 })
    await stubs.inatrade.listen({ host, port: options.ports?.inatrade ?? 0 })
  } catch (error) {
    // One port taken must not leave the other two listening.
    await close()
    throw error
  }
  return {
    ossUrl: originOf(stubs.oss, host),
    djpUrl: originOf(stubs.djp, host),
    inatradeUrl: originOf(stubs.inatrade, host),
    close,
  }
}
