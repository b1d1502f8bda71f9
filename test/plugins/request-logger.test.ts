import Fastify, { LogController } from 'fastify'
import t from 'tap'
import { createLogger } from '../../src/logger.ts'
import { lazyChildLoggerFactory } from '../../src/request-logger.ts'
import { captureLogs } from '../helpers/app.ts'

/** The same routes on Fastify's own per-request child logger and on the lazy one. */
async function appWith(lazy: boolean) {
  const logs = captureLogs()
  const logger = createLogger('info', logs.stream)
  let children = 0
  const child = logger.child.bind(logger)
  logger.child = ((...args: Parameters<typeof child>) => {
    children++
    return child(...args)
  }) as typeof logger.child
  let id = 0
  const app = Fastify({
    loggerInstance: logger,
    genReqId: () => `req-${++id}`,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    ...(lazy ? { childLoggerFactory: lazyChildLoggerFactory } : {}),
  })
  app.get('/quiet', async () => ({ ok: true }))
  app.get('/talks', async (request) => {
    request.log.info({ nik: '3171010101800001', step: 1 }, 'first')
    request.log.debug('dropped at info')
    request.log.child({ part: 'inner' }).warn('from a child')
    return { level: request.log.level }
  })
  app.get('/warn-only', { logLevel: 'warn' }, async (request) => {
    request.log.info('dropped by the route level')
    request.log.error(new Error('kept'), 'failed')
    return { level: request.log.level }
  })
  app.get('/throws', async () => {
    throw new Error('boom')
  })
  await app.ready()
  t.teardown(() => app.close())
  const lines = () => logs.lines().map(({ time: _time, pid: _pid, hostname: _hostname, ...rest }) => rest)
  return { app, lines, children: () => children }
}

const eager = await appWith(false)
const lazy = await appWith(true)

t.test('request.log writes exactly what Fastify\'s own child logger writes', async (t) => {
  for (const url of ['/quiet', '/talks', '/warn-only', '/throws']) {
    const [a, b] = [await eager.app.inject({ url }), await lazy.app.inject({ url })]
    t.equal(b.statusCode, a.statusCode, url)
    t.same(b.json(), a.json(), `${url}: same answer (request.log.level included)`)
  }
  const lines = lazy.lines()
  t.same(lines, eager.lines())
  t.match(lines, [
    { level: 30, requestId: 'req-2', nik: '[Redacted]', step: 1, msg: 'first' },
    { level: 40, part: 'inner', msg: 'from a child' },
    { level: 50, requestId: 'req-3', err: { message: 'kept' }, msg: 'failed' },
  ])
  t.equal(lines.length, 3, 'the debug line and the route-level info line are dropped')
})

t.test('a request that logs nothing makes no child logger', async (t) => {
  const before = lazy.children()
  await lazy.app.inject({ url: '/quiet' })
  t.equal(lazy.children(), before)
  await lazy.app.inject({ url: '/talks' })
  t.ok(lazy.children() > before, 'one is made once a line is logged')
})
