/**
 * The drills' database outage: `DRILL_POSTGRES_RESTART` (a shell command, e.g.
 * `pg_ctlcluster 15 main restart`) restarts the server for real; without it every connection to the
 * drill's own database is terminated, which is what a restart looks like to the gateway's pool
 * (the other databases on the server are left alone, so tests running beside it are not hurt).
 */
import { execSync } from 'node:child_process'
import pg from 'pg'

export async function databaseOutage(databaseUrl: string): Promise<string> {
  const command = process.env.DRILL_POSTGRES_RESTART
  if (command) {
    execSync(command, { stdio: 'inherit' })
    return `PostgreSQL restarted (${command})`
  }
  const name = new URL(databaseUrl).pathname.slice(1)
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  try {
    const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name])
    return `${rowCount} connections to ${name} terminated`
  } finally {
    await admin.end()
  }
}
