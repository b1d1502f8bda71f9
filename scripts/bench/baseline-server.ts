/**
 * The baselines, in a process of their own like the gateway: bare Fastify (no plugins, no logger)
 * with `GET /ping`, `GET /select/:id` (one row by primary key), `POST /insert` (one row), and
 * `POST /insert-json` / `GET /document/:id` (a JSON document stored and read back), on
 * the PostgreSQL server (BENCH_DATABASE_URL, a pool of 10 like the gateway's) or embedded PGlite
 * (BENCH_DATA_DIR). What the gateway's cases are measured against.
 */
import { PGlite } from '@electric-sql/pglite'
import Fastify from 'fastify'
import pg from 'pg'
import { answerParent, memoryFigures, send } from './child-ipc.ts'

const ROWS = 1000

type Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>

async function openQuery(): Promise<Query> {
  const url = process.env.BENCH_DATABASE_URL
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    return async (text, params) => (await pool.query(text, params)).rows
  }
  const pglite = new PGlite(process.env.BENCH_DATA_DIR)
  await pglite.waitReady
  return async (text, params) => (await pglite.query<Record<string, unknown>>(text, params)).rows
}

const query = await openQuery()
await query('create table if not exists bench_items (id integer primary key, name text not null, email text not null, created_at timestamptz not null default now())')
await query('create table if not exists bench_inserts (id bigint generated always as identity primary key, name text not null, created_at timestamptz not null default now())')
await query('create table if not exists bench_documents (id bigint generated always as identity primary key, body jsonb not null, created_at timestamptz not null default now())')
await query(`insert into bench_items (id, name, email) select n, 'Item ' || n, 'item' || n || '@bench.example' from generate_series(1, ${ROWS}) n on conflict do nothing`)

const app = Fastify()
app.get('/ping', async () => ({ pong: true }))
app.get<{ Params: { id: string } }>('/select/:id', async (request, reply) => {
  const [row] = await query('select id, name, email, created_at from bench_items where id = $1', [Number(request.params.id)])
  return row ?? reply.code(404).send({ missing: true })
})
app.post<{ Body: { name: string } }>('/insert', async (request, reply) => {
  const [row] = await query('insert into bench_inserts (name) values ($1) returning id', [request.body.name])
  return reply.code(201).send(row)
})
// What a permit submission stores at the least: the same JSON, one row (the permits bench's a1).
app.post('/insert-json', { bodyLimit: 1024 * 1024 }, async (request, reply) => {
  const [row] = await query('insert into bench_documents (body) values ($1) returning id', [JSON.stringify(request.body)])
  return reply.code(201).send(row)
})
app.get<{ Params: { id: string } }>('/document/:id', async (request, reply) => {
  const [row] = await query('select id, body, created_at from bench_documents where id = $1', [Number(request.params.id)])
  return row ?? reply.code(404).send({ missing: true })
})
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
answerParent()
send({ type: 'ready', port: (app.server.address() as { port: number }).port, memory: memoryFigures(false) })
