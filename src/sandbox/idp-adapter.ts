/**
 * The storage of a sandbox identity provider: sessions, interactions, grants, codes and tokens,
 * in memory. oidc-provider ships a memory adapter too, but it is one store for the whole process
 * (and warns on every start); this one belongs to one provider, so a sandbox's IdP state goes
 * away with it and `POST /__sandbox/reset` can forget it.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider'

interface Stored {
  payload: AdapterPayload
  /** ms since epoch; undefined: never. */
  expiresAt: number | undefined
}

/** Models whose records carry a grantId and die with their grant (revokeByGrantId). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'])
/** Past this many records, expired ones are swept on the next write (a sandbox may run for days). */
const SWEEP_ABOVE = 5000

export class IdpStore {
  readonly #records = new Map<string, Stored>()
  readonly #sessionsByUid = new Map<string, string>()

  /** The adapter factory to hand oidc-provider (`adapter` option): one adapter per model. */
  readonly adapterFactory = (model: string): Adapter => new IdpAdapter(this, model)

  get(key: string): AdapterPayload | undefined {
    const stored = this.#records.get(key)
    if (!stored) return undefined
    if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) {
      this.delete(key)
      return undefined
    }
    return stored.payload
  }

  set(key: string, payload: AdapterPayload, expiresInSeconds: number | undefined): void {
    if (this.#records.size > SWEEP_ABOVE) this.#sweep()
    const expiresAt = expiresInSeconds === undefined ? undefined : Date.now() + expiresInSeconds * 1000
    this.#records.set(key, { payload, expiresAt })
  }

  delete(key: string): void {
    this.#records.delete(key)
  }

  indexSession(uid: string, id: string): void {
    this.#sessionsByUid.set(uid, id)
  }

  sessionIdByUid(uid: string): string | undefined {
    return this.#sessionsByUid.get(uid)
  }

  revokeByGrantId(grantId: string): void {
    for (const [key, stored] of this.#records) {
      if (stored.payload.grantId === grantId && GRANTABLE.has(key.slice(0, key.indexOf(':')))) this.#records.delete(key)
    }
  }

  /** Forgets everything: every browser has to log in again. */
  clear(): void {
    this.#records.clear()
    this.#sessionsByUid.clear()
  }

  #sweep(): void {
    const now = Date.now()
    for (const [key, stored] of this.#records) {
      if (stored.expiresAt !== undefined && stored.expiresAt <= now) this.#records.delete(key)
    }
    for (const [uid, id] of this.#sessionsByUid) {
      if (!this.#records.has(`Session:${id}`)) this.#sessionsByUid.delete(uid)
    }
  }
}

class IdpAdapter implements Adapter {
  readonly #store: IdpStore
  readonly #model: string

  constructor(store: IdpStore, model: string) {
    this.#store = store
    this.#model = model
  }

  #key(id: string): string {
    return `${this.#model}:${id}`
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.#store.set(this.#key(id), payload, expiresIn)
    if (this.#model === 'Session' && payload.uid) this.#store.indexSession(payload.uid, id)
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#store.get(this.#key(id))
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.sessionIdByUid(uid)
    return id === undefined ? undefined : this.find(id)
  }

  async findByUserCode(): Promise<undefined> {
    // The device flow is not enabled on the sandbox IdPs.
    return undefined
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id))
    if (payload) payload.consumed = Math.floor(Date.now() / 1000)
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id))
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#store.revokeByGrantId(grantId)
  }
}
