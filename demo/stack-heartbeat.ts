/**
 * The stack's Heartbeat variant: what an admin of the legacy cluster has in /etc/ha.d instead of halo's
 * agents. The package's v1 IPaddr and Filesystem (wrappers around resource-agents) keep the example's
 * haresources words; MariaDB is resource-agents' mysql through Heartbeat's own OCF::mysql::<instance>
 * form, its variables in conf/OCF/mysql/<instance>; the application server is a plain LSB-style init
 * script. halo-mon stays last in the group: the watcher counts it, and mon is part of such a cluster.
 */
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { HEARTBEAT_PROGRAMS } from './heartbeat.ts'

export const MYSQL_INSTANCE = 'mysqld'

/** the example's haresources line, its halo agents swapped for the Heartbeat admin's scripts */
export const heartbeatResources = (haresources: string): string =>
  haresources.replace(/\bmysqld::\S+/, `OCF::mysql::${MYSQL_INSTANCE}`).replace(/\bappserver::\S+/, 'linkserv')

/**
 * What /etc/default/heartbeat must export for OCF:: to work at all with Debian's package: its shellfuncs
 * sets OCF_AGENTS to resource.d/heartbeat/ while resource.d/OCF looks for $OCF_AGENTS/<provider>/<type>,
 * and nothing sets the OCF_ROOT resource-agents' mysql needs. OCF_AGENTS is a folder (under the stack's
 * `root`) holding only the heartbeat provider: this machine also has halo's, which sorts first.
 */
export function OCF_ENV(root: string): Record<string, string> {
  const agents = join(root, 'ocf-agents')
  mkdirSync(agents)
  symlinkSync('/usr/lib/ocf/resource.d/heartbeat', join(agents, 'heartbeat'))
  return { OCF_ROOT: '/usr/lib/ocf', OCF_AGENTS: agents }
}

/** /etc/ha.d/conf/OCF/mysql/<instance>: resource-agents' mysql, told where the example's MariaDB lives */
export const MYSQL_OCF_CONF = `# resource-agents' mysql for haresources' OCF::mysql::${MYSQL_INSTANCE}
OCF_RESKEY_config=/srv/ha/mysql/my.cnf
OCF_RESKEY_datadir=/srv/ha/mysql/data
OCF_RESKEY_user=mysql
OCF_RESKEY_group=mysql
OCF_RESKEY_pid=/run/mysqld/mysqld.pid
OCF_RESKEY_socket=/run/mysqld/mysqld.sock
OCF_RESKEY_log=/srv/ha/mysql/error.log
`

/**
 * /etc/ha.d/resource.d/linkserv: the server's own start|stop on the shared disk, plus the status
 * ResourceManager asks (it looks for "running"), and a stop that waits for the process to end, since
 * the disk is unmounted next.
 */
export const LINKSERV_INIT = `#!/bin/sh
# LSB-style init script of the AggreGate server installed on the shared disk
server=/srv/ha/aggregate/bin/linkserv
pidfile=/run/linkserv.pid
pid=$(cat "$pidfile" 2>/dev/null)
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
case $1 in
  start) alive && exit 0; exec "$server" start ;;
  stop)
    alive || { rm -f "$pidfile"; exit 0; }
    "$server" stop
    for _ in $(seq 100); do alive || { rm -f "$pidfile"; exit 0; }; sleep 0.1; done
    kill -9 "$pid"; rm -f "$pidfile" ;;
  status) if alive; then echo running; else echo stopped; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 1 ;;
esac
`

/** the example's alert names hb_standby where Heartbeat had it; Debian's package moved it */
export const HB_STANDBY = HEARTBEAT_PROGRAMS.hb_standby
