/**
 * What a part that forks servers on the PostgreSQL server keeps track of: fresh databases (dropped
 * at the end), the servers it started (stopped at the end), its own connections (closed).
 */
import pg from 'pg'
import { startServer, type Server } from './servers.ts'

export const BENCH_SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface BenchSession {
  /** A new database on the server; its URL. */
  freshDatabase(label: string): Promise<string>
  /** Forks a server and logs its start time. */
  started(...args: Parameters<typeof startServer>): Promise<Server>
  connect(url: string): Promise<pg.Client>
  close(): Promise<void>
}

export async function openSession(log: (line: string) => void): Promise<BenchSession> {
  const admin = new pg.Client({ connectionString: BENCH_SERVER_URL })
  await admin.connect()
  const databases: string[] = []
  const servers: Server[] = []
  const clients: pg.Client[] = []
  return {
    async freshDatabase(label) {
      const name = `bench_${label}_${Date.now().toString(36)}`
      await admin.query(`create database ${name}`)
      databases.push(name)
      return Object.assign(new URL(BENCH_SERVER_URL), { pathname: `/${name}` }).href
    },
    async started(...args) {
      const server = await startServer(...args)
      servers.push(server)
      log(`${server.name} ready in ${(server.startMs / 1000).toFixed(1)} s`)
      return server
    },
    async connect(url) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      clients.push(client)
      return client
    },
    async close() {
      for (const client of clients) await client.end().catch(() => {})
      await Promise.all(servers.map((server) => server.stop()))
      for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`).catch(() => {})
      await admin.end()
    },
  }
}
