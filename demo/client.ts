/**
 * The demo's client, run in the client namespace by `halo demo-client`: commits one row after another
 * through the virtual IP and reports each outcome as a JSON line on stdout, stamped with the monotonic
 * clock the demo and the tests read too (process.hrtime, the same clock in every process):
 *   {"ok":17,"at":"…ns"}  row 17 is committed (the server said OK)
 *   {"fail":"…","at":"…ns"}  an attempt failed; the next one starts a new connection
 * A commit that gets no answer is not counted: whether it landed is unknown, so it is never claimed.
 */
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { UsageError } from '../lib/errors.ts'
import { Connection, type Login } from './mysql-wire.ts'

export const DEMO_LOGIN = { port: 3306, user: 'demo', password: 'demo-secret', database: 'demo' }
export const TABLE = 'demo.orders'

/** what the primary's root runs once, through its socket, before the client starts */
export const SCHEMA_SQL = [
  'CREATE DATABASE IF NOT EXISTS demo',
  `CREATE TABLE IF NOT EXISTS ${TABLE} (id INT PRIMARY KEY, node VARCHAR(32) NOT NULL, at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB`,
  `CREATE USER IF NOT EXISTS '${DEMO_LOGIN.user}'@'%' IDENTIFIED BY '${DEMO_LOGIN.password}'`,
  `GRANT ALL ON demo.* TO '${DEMO_LOGIN.user}'@'%'`,
].join(';\n')

const CONNECT_MS = 250
const COMMIT_MS = 1000

async function writeRows(host: string, paceMs: number): Promise<never> {
  const login: Login = { host, ...DEMO_LOGIN }
  const say = (what: object) => process.stdout.write(`${JSON.stringify({ ...what, at: String(process.hrtime.bigint()) })}\n`)
  let conn: Connection | undefined
  for (let id = 1; ; id++) {
    try {
      conn ??= await Connection.open(login, CONNECT_MS)
      await conn.query(`INSERT INTO ${TABLE} (id, node) VALUES (${id}, @@hostname)`, COMMIT_MS)
      say({ ok: id })
      await sleep(paceMs)
    } catch (e) {
      conn = undefined
      say({ fail: (e as Error).message })
      await sleep(20)
    }
  }
}

/**
 * The application server's users: one request after another to its agent port (connect, read its
 * greeting), each reported as a JSON line as the writer's commits are: {"ok":N,"at":…} or {"fail":…}.
 */
async function requestServer(host: string, port: number, paceMs: number): Promise<never> {
  const say = (what: object) => process.stdout.write(`${JSON.stringify({ ...what, at: String(process.hrtime.bigint()) })}\n`)
  for (let n = 1; ; n++) {
    try {
      await greeting(host, port, CONNECT_MS)
      say({ ok: n })
    } catch (e) {
      say({ fail: (e as Error).message })
    }
    await sleep(paceMs)
  }
}

/** connects and resolves with the server's first bytes; rejects on a refusal, a reset or silence */
function greeting(host: string, port: number, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port })
    const timer = setTimeout(() => s.destroy(new Error(`no answer within ${ms} ms`)), ms)
    s.once('data', (d) => {
      clearTimeout(timer)
      s.destroy()
      resolve(String(d))
    })
    s.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    s.once('close', () => {
      clearTimeout(timer)
      reject(new Error('closed without a greeting'))
    })
  })
}

/** the ids present in the table */
export async function committedIds(host: string): Promise<number[]> {
  const conn = await Connection.open({ host, ...DEMO_LOGIN }, 5000)
  try {
    return (await conn.query(`SELECT id FROM ${TABLE} ORDER BY id`, 10_000)).map((r) => Number(r[0]))
  } finally {
    conn.close()
  }
}

/** which node answers on the virtual IP */
export async function servedBy(host: string): Promise<string> {
  const conn = await Connection.open({ host, ...DEMO_LOGIN }, 5000)
  try {
    return String((await conn.query('SELECT @@hostname', 5000))[0][0])
  } finally {
    conn.close()
  }
}

/** `halo demo-client VIP write PACE-MS | request PORT PACE-MS | rows | host`, run in the client namespace */
export async function clientCommand(argv: readonly string[]): Promise<number> {
  const [host, what, pace] = argv
  if (host && what === 'write' && pace && Number(pace) >= 0) return writeRows(host, Number(pace))
  if (host && what === 'request' && Number(argv[2]) > 0 && Number(argv[3]) >= 0 && argv.length === 4) return requestServer(host, Number(argv[2]), Number(argv[3]))
  if (host && what === 'rows' && argv.length === 2) console.log(JSON.stringify(await committedIds(host)))
  else if (host && what === 'host' && argv.length === 2) console.log(await servedBy(host))
  else throw new UsageError('demo-client VIRTUAL-IP write PACE-MS | request PORT PACE-MS | rows | host')
  return 0
}
