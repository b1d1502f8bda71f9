/**
 * The Redis counters as a local budget synchronised in batches: one round trip (a MULTI) per
 * lease rather than per request, never more than the budget across instances, refusals answered
 * locally once Redis said the window is spent. Needs REDIS_URL.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { BatchedRedisCounters, InMemoryCounters, leaseSize } from '../../src/plugins/rate-limit-store.ts'

const REDIS_URL = process.env.REDIS_URL || undefined
const NAMESPACE = `insw-gw-rl-store-test:${randomUUID()}:`

t.test('lease sizes: exact for small budgets, a twentieth otherwise, at most 1000', async (t) => {
  t.equal(leaseSize(3), 1)
  t.equal(leaseSize(20), 1)
  t.equal(leaseSize(600), 30)
  t.equal(leaseSize(600_000), 1000)
})

t.test('in memory: a fixed window per key, counted synchronously, read without spending', async (t) => {
  const counters = new InMemoryCounters()
  const seen: { current: number; ttl: number }[] = []
  for (let i = 0; i < 3; i++) counters.incr('caller', 50, 2, (_error, count) => seen.push(count!))
  t.same(seen.map((count) => count.current), [1, 2, 3], 'answered before incr returns: no promise, no tick')
  t.ok(seen.every((count) => count.ttl > 0 && count.ttl <= 50), 'ttl within the window')
  counters.read('caller', (_error, count) => t.equal(count!.current, 3, 'read sees the count'))
  counters.read('caller', (_error, count) => t.equal(count!.current, 3, 'and does not spend'))
  counters.incr('another', 50, 2, (_error, count) => t.equal(count!.current, 1, 'keys count apart'))
  await new Promise((resolve) => setTimeout(resolve, 60))
  counters.incr('caller', 50, 2, (_error, count) => t.equal(count!.current, 1, 'a new window starts afresh'))
  counters.read('nobody', (_error, count) => t.same(count, { current: 0, ttl: 0 }, 'an unknown key reads as unspent'))
})

t.test('with Redis', { skip: REDIS_URL ? false : 'REDIS_URL is not set' }, async (t) => {
  const connections: Redis[] = []
  /** An instance's counters, with the number of round trips it made. */
  const instance = () => {
    const redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 })
    connections.push(redis)
    const trips = { count: 0 }
    const multi = redis.multi.bind(redis)
    redis.multi = ((...args: Parameters<typeof multi>) => {
      trips.count++
      return multi(...args)
    }) as typeof redis.multi
    return { counters: new BatchedRedisCounters(redis, NAMESPACE), trips }
  }
  t.teardown(async () => {
    const keys = await connections[0]!.keys(`${NAMESPACE}*`)
    if (keys.length) await connections[0]!.del(...keys)
    await Promise.all(connections.map((redis) => redis.quit()))
  })
  const incr = (counters: BatchedRedisCounters, key: string, max: number) =>
    new Promise<{ current: number; ttl: number }>((resolve, reject) => counters.incr(key, 60_000, max, (error, count) => (error ? reject(error) : resolve(count!))))

  t.test('two instances spending one budget of 100: exactly 100 granted, one round trip per lease of 5', async (t) => {
    const a = instance()
    const b = instance()
    const key = `shared-${randomUUID()}`
    let granted = 0
    for (let i = 0; i < 120; i++) {
      const count = await incr((i % 2 ? b : a).counters, key, 100)
      if (count.current <= 100) granted++
      t.ok(count.ttl > 0 && count.ttl <= 60_000, 'a ttl within the window')
    }
    t.equal(granted, 100, 'never more than the budget, and here nothing lost')
    const trips = a.trips.count + b.trips.count
    t.ok(trips <= 100 / leaseSize(100) + 2, `${trips} round trips for 120 requests (one per lease, one per instance to learn the window is spent)`)
  })

  t.test('small budgets are exact across instances', async (t) => {
    const a = instance()
    const b = instance()
    const key = `small-${randomUUID()}`
    const seen = [await incr(a.counters, key, 3), await incr(b.counters, key, 3), await incr(a.counters, key, 3), await incr(b.counters, key, 3)]
    t.same(seen.map((count) => count.current), [1, 2, 3, 4], 'the fourth is over the budget of 3')
  })

  t.test('concurrent requests share one reservation', async (t) => {
    const a = instance()
    const key = `burst-${randomUUID()}`
    const counts = await Promise.all(Array.from({ length: 30 }, () => incr(a.counters, key, 600)))
    t.same(counts.map((count) => count.current).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i + 1), 'each request its own count')
    t.equal(a.trips.count, 1, 'one round trip for 30 concurrent requests (lease of 30)')
  })

  t.test('reads: local while a lease has tokens or a snapshot is fresh, own spends seen at once', async (t) => {
    const read = (counters: BatchedRedisCounters, key: string) =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) => counters.read(key, (error, count) => (error ? reject(error) : resolve(count!))))
    const a = instance()
    const b = instance()
    const key = `read-${randomUUID()}`
    t.same(await read(a.counters, key), { current: 0, ttl: 0 }, 'an unknown key reads as unspent')
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => read(a.counters, key)))
    t.ok(concurrent.every((count) => count.current === 0), 'concurrent reads agree')
    t.equal(a.trips.count, 1, 'one round trip for six reads within the snapshot second')
    await incr(b.counters, key, 3)
    t.equal((await read(a.counters, key)).current, 0, "another instance's spend shows up to a second late")
    await incr(a.counters, key, 3)
    t.equal((await read(a.counters, key)).current, 2, 'after spending, this instance reads Redis again (its snapshot is dropped)')
    await incr(a.counters, key, 3)
    t.equal((await read(a.counters, key)).current, 3, 'and sees its own spend at once')
    const big = `read-lease-${randomUUID()}`
    await incr(a.counters, big, 600)
    const trips = a.trips.count
    const count = await read(a.counters, big)
    t.equal(count.current, 1, 'a lease with tokens left answers from the lease')
    t.ok(count.ttl > 0 && count.ttl <= 60_000, 'with the window')
    t.equal(a.trips.count, trips, 'without a round trip')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    t.equal((await read(a.counters, key)).current, 3, 'a snapshot older than a second is read again')
  })
})
