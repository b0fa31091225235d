/**
 * Where the server keeps its files: each from the agent's parameter when given, else from the server's
 * my.cnf, else resource-agents' default. my.cnf is read only when a parameter is missing, so a monitor
 * configured with pid and socket does not parse it at all.
 */
import { hostname } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { readServerOptions, type ServerOptions } from './mycnf.ts'

export interface Settings {
  config: string
  datadir: string
  pid: string
  socket: string
  log: string
  user: string
}

export interface Given {
  config: string
  datadir?: string
  pid?: string
  socket?: string
  log?: string
  user?: string
}

const fallback = { datadir: '/var/lib/mysql', pid: '/run/mysqld/mysqld.pid', socket: '/run/mysqld/mysqld.sock', log: '/var/log/mysql/error.log', user: 'mysql' }

export function settings(given: Given): Settings {
  let cnf: ServerOptions | undefined
  const option = (name: string): string | true | undefined => (cnf ??= readServerOptions(given.config)).get(name)
  const text = (v: string | true | undefined) => (typeof v === 'string' && v !== '' ? v : undefined)

  const datadir = given.datadir ?? text(option('datadir')) ?? fallback.datadir
  // the server takes a relative pid file or error log inside its datadir; a bare log_error means host.err
  const inDatadir = (v: string | undefined) => (v === undefined || isAbsolute(v) ? v : join(datadir, v))
  const logOption = given.log === undefined ? option('log_error') : undefined
  return {
    config: given.config,
    datadir,
    pid: given.pid ?? inDatadir(text(option('pid_file'))) ?? fallback.pid,
    socket: given.socket ?? text(option('socket')) ?? fallback.socket,
    log: given.log ?? (logOption === true ? join(datadir, `${hostname().split('.')[0]}.err`) : inDatadir(text(logOption))) ?? fallback.log,
    user: given.user ?? text(option('user')) ?? fallback.user,
  }
}
