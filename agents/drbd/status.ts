/**
 * The state of one DRBD resource on this node, read the way each DRBD generation offers it in one call:
 * 9.x `drbdsetup events2 --now RES`, 8.4 `drbdsetup sh-status RES`. /proc/drbd says which generation is
 * loaded, or that none is (then nothing of DRBD runs here).
 */
import { readFileSync } from 'node:fs'
import { HaloError } from '../../lib/errors.ts'
import { OCF } from '../../lib/ocf/codes.ts'
import { drbdsetup, failure, type Tools } from './tools.ts'

export interface DrbdStatus {
  role: string
  /** Unknown while not connected */
  peerRole: string
  /** Connected, Connecting (8.4: WFConnection), StandAlone, SyncSource… */
  connection: string
  disk: string
  /** DUnknown while not connected */
  peerDisk: string
  /** whether something holds the device open (9.x only) */
  open?: boolean
  /** resync progress in % while this side is Inconsistent (8.4 only) */
  synced?: number
}

export interface Observed {
  /** the kernel module is loaded */
  loaded: boolean
  /** the resource as the kernel has it; undefined when down (or the module absent) */
  status?: DrbdStatus
}

/** 9 or 8 from /proc/drbd's first line; undefined when the module is not loaded. */
export function kernelGeneration(procDrbd: string): 8 | 9 | undefined {
  let text: string
  try {
    text = readFileSync(procDrbd, 'utf8')
  } catch {
    return undefined
  }
  const major = /^version: (\d+)\./.exec(text)?.[1]
  return major === '8' ? 8 : 9
}

const fields = (line: string) => Object.fromEntries(line.split(' ').filter((w) => w.includes(':')).map((w) => [w.slice(0, w.indexOf(':')), w.slice(w.indexOf(':') + 1)]))

/** Of several volumes, the one in the worst state speaks for the resource. */
const worst = (states: readonly string[]) => states.find((s) => s !== 'UpToDate') ?? states[0]

/** `drbdsetup events2 --now RES` (9.x): undefined when the resource is not up. */
export function parseEvents2(text: string): DrbdStatus | undefined {
  const lines = text.split('\n').map((l) => l.split(' ')).filter((w) => w[0] === 'exists' && w.length > 2)
  const of = (kind: string) => lines.filter((w) => w[1] === kind).map((w) => fields(w.slice(2).join(' ')))
  const [resource] = of('resource')
  if (!resource) return undefined
  const [connection] = of('connection')
  const devices = of('device')
  const peers = of('peer-device')
  return {
    role: resource.role,
    peerRole: connection?.role ?? 'Unknown',
    connection: connection?.connection ?? 'StandAlone',
    disk: worst(devices.map((d) => d.disk)) ?? 'Diskless',
    peerDisk: worst(peers.map((d) => d['peer-disk'])) ?? 'DUnknown',
    open: devices.some((d) => d.open === 'yes'),
  }
}

/** `drbdsetup sh-status RES` (8.4): shell assignments per volume; undefined when not configured. */
export function parseShStatus(text: string): DrbdStatus | undefined {
  const volumes = text.split('_sh_status_process').map((block) => Object.fromEntries([...block.matchAll(/^_(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]])))
  const configured = volumes.filter((v) => v.known !== undefined && v.known !== 'Unconfigured' && v.cstate !== 'Unconfigured')
  if (configured.length === 0) return undefined
  const v = configured.find((c) => c.disk !== 'UpToDate') ?? configured[0]
  return {
    role: v.role,
    peerRole: v.peer || 'Unknown',
    connection: v.cstate,
    disk: v.disk,
    peerDisk: v.pdsk || 'DUnknown',
    synced: v.resynced_percent ? Number(v.resynced_percent) : undefined,
  }
}

export async function observe(tools: Tools, res: string, deadline: number): Promise<Observed> {
  const generation = kernelGeneration(tools.procDrbd)
  if (generation === undefined) return { loaded: false }
  const args = generation === 9 ? ['events2', '--now', res] : ['sh-status', res]
  const r = await drbdsetup(tools, args, deadline)
  // a resource the kernel does not have: 9.x prints only the end marker, 8.4 says it (exit 10)
  if (r.code === 10 && /No such resource|not configured|Unknown resource/i.test(r.stderr)) return { loaded: true }
  if (r.code !== 0) throw new HaloError(OCF.ERR_GENERIC, `cannot read the state of ${res}: ${failure(r)}`)
  return { loaded: true, status: generation === 9 ? parseEvents2(r.stdout) : parseShStatus(r.stdout) }
}

/** Where Pacemaker or Heartbeat would read the state: `Primary/Secondary UpToDate/DUnknown Connected`. */
export const describe = (s: DrbdStatus) => `${s.role}/${s.peerRole} ${s.disk}/${s.peerDisk} ${s.connection}${s.synced !== undefined ? ` ${s.synced}% synced` : ''}`
