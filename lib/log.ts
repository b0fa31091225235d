/**
 * The one logger. Agents follow the ocf_log convention (HA_LOGFACILITY → syslog, HA_LOGFILE → file,
 * else stderr); the daemons configure the same sinks from ha.cf (logfacility, logfile, debugfile).
 * Syslog goes through one long-lived `logger --prio-prefix` child, so a busy daemon forks once.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { childProcess } from './exec.ts'

export type Level = 'alert' | 'err' | 'warn' | 'info' | 'debug'

const severity: Record<Level, number> = { alert: 1, err: 3, warn: 4, info: 6, debug: 7 }
const fileWord: Record<Level, string> = { alert: 'ALERT', err: 'ERROR', warn: 'WARN', info: 'info', debug: 'debug' }
const stderrWord: Record<Level, string> = { alert: 'ALERT', err: 'ERROR', warn: 'WARNING', info: 'INFO', debug: 'DEBUG' }

export interface LogSinks {
  /** syslog tag, e.g. `IPaddr(vip)` or `heartbeat` */
  tag: string
  /** syslog facility (daemon, local0…); `none` or undefined: no syslog */
  facility?: string
  /** every line but debug */
  file?: string
  /** debug lines, and the others too (as Heartbeat's debugfile) */
  debugFile?: string
  /** print to stderr when no other sink is set */
  stderr?: boolean
  debug?: boolean
}

export class Logger {
  private syslog: ChildProcess | undefined

  constructor(readonly sinks: LogSinks) {}

  /** syslog's alert: mon logs each alert it calls at this level, and admins filter on it */
  alert(msg: string): void { this.write('alert', msg) }
  err(msg: string): void { this.write('err', msg) }
  warn(msg: string): void { this.write('warn', msg) }
  info(msg: string): void { this.write('info', msg) }
  debug(msg: string): void { if (this.sinks.debug) this.write('debug', msg) }

  private write(level: Level, msg: string): void {
    const { facility, file, debugFile, tag } = this.sinks
    const line = `${tag}[${process.pid}]: ${stamp(new Date())} ${fileWord[level]}: ${msg}\n`
    let written = false
    if (facility && facility !== 'none') {
      this.syslogChild(facility).stdin!.write(`<${severity[level]}>${msg}\n`)
      written = true
    }
    if (file && level !== 'debug') written = appendQuietly(file, line) || written
    if (debugFile) written = appendQuietly(debugFile, line) || written
    if (!written && this.sinks.stderr !== false) process.stderr.write(`${stderrWord[level]}: ${msg}\n`)
  }

  private syslogChild(facility: string): ChildProcess {
    if (this.syslog) return this.syslog
    const child = childProcess().spawn('logger', ['--prio-prefix', '-p', `${facility}.info`, '-t', this.sinks.tag], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    // a stop signal to the whole process group may end the logger first: its last lines are lost, not
    // the daemon (no EPIPE crash); a line after that starts another logger
    child.on('error', () => {}).stdin!.on('error', () => {})
    child.once('exit', () => {
      if (this.syslog === child) this.syslog = undefined
    })
    this.syslog = child
    return child
  }

  /** Flushes syslog lines; await it before the process exits. */
  close(): Promise<void> {
    const child = this.syslog
    this.syslog = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      child.once('close', () => resolve())
      child.stdin!.end()
    })
  }
}

/** The sinks the ocf_log convention derives from an agent's environment. */
export function ocfLogSinks(tag: string, env: NodeJS.ProcessEnv = process.env): LogSinks {
  return {
    tag,
    facility: env.HA_LOGFACILITY ?? env.HA_logfacility,
    file: env.HA_LOGFILE ?? env.HA_logfile,
    debugFile: env.HA_DEBUGLOG ?? env.HA_debuglog,
    debug: /^(1|true|yes|on)$/i.test(env.HA_debug ?? env.HA_DEBUG ?? ''),
  }
}

/** not through a link: agents log as root, and HA_LOGFILE may name a file in a directory others write */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW

function appendQuietly(file: string, line: string): boolean {
  try {
    const fd = openSync(file, APPEND, 0o644)
    try {
      writeSync(fd, line)
    } finally {
      closeSync(fd)
    }
    return true
  } catch {
    return false
  }
}

const two = (n: number) => String(n).padStart(2, '0')

/** Heartbeat's log time stamp: 2026/11/23_05:41:00 */
export function stamp(d: Date): string {
  return `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())}_${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}
