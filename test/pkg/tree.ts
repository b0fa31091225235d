/**
 * A fresh Debian 12 tree to install the package into: debootstrap's minbase, plus the package's Depends and
 * the tools the test reads it with (man-db, logrotate), kept in /var/cache/halo-test so only the first run
 * pays for debootstrap. Each test runs on an overlay of it (its changes in the test's own directory), in
 * a private mount namespace (unshare), so nothing stays mounted whatever happens to the test.
 * Node.js 20 is not in Debian 12 (it has 18): the tree gets this machine's nodejs package, repacked from
 * the installed files with dpkg-repack, so the package's `Depends: nodejs (>= 20)` is met the Debian way.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { run, type RunResult } from '../../lib/exec.ts'

const CACHE = '/var/cache/halo-test'
const MIRROR = 'http://deb.debian.org/debian'
/** what the test reads the installed package with */
const TOOLS = ['man-db', 'logrotate']
/** the tree's programs get this environment alone (not the test's: tap's NODE_OPTIONS would follow node in) */
const ENV = ['/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8', 'HOME=/root', 'DEBIAN_FRONTEND=noninteractive']

async function must(argv: readonly string[], opts: { cwd?: string; timeout?: number } = {}): Promise<RunResult> {
  const r = await run(argv, { timeout: opts.timeout ?? 600_000, cwd: opts.cwd })
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).slice(-2000)}`)
  return r
}

/** runs argv chrooted in root, with /proc, in a mount namespace of its own */
function inRoot(root: string, argv: readonly string[], timeout = 300_000): Promise<RunResult> {
  const script = 'r=$1; shift; mount -t proc proc "$r/proc" && exec chroot "$r" "$@"'
  return run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, ...ENV, ...argv], { timeout })
}

/** the package names a Depends line asks for (the first of alternatives, versions dropped) */
export const dependsNames = (field: string): string[] =>
  field.split(',').map((d) => d.split('|')[0].trim().split(/[\s(]/)[0]).filter(Boolean)

/** what the package depends on, from its control file (pkg/debian/control) */
export function packageDepends(): string[] {
  const control = readFileSync(new URL('../../pkg/debian/control', import.meta.url), 'utf8')
  return dependsNames(/^Depends: (.*)$/m.exec(control)?.[1] ?? '')
}

/** where this machine's nodejs is kept repacked, and the .deb if it is there */
async function repackedNodejs(): Promise<{ dir: string; deb?: string }> {
  const version = (await must(['dpkg-query', '-W', '-f=${Version}', 'nodejs'])).stdout
  const dir = join(CACHE, 'nodejs', version)
  const deb = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.deb')) : undefined
  return { dir, deb: deb && join(dir, deb) }
}

/** This machine's nodejs as a .deb (dpkg-repack), kept in the cache; made aside and renamed into place. */
async function nodejsDeb(): Promise<string> {
  const { dir, deb } = await repackedNodejs()
  if (deb) return deb
  mkdirSync(join(CACHE, 'nodejs'), { recursive: true })
  const fresh = mkdtempSync(join(CACHE, 'nodejs', 'new.'))
  try {
    // gzip: xz takes minutes over node's 100 MB, for a file that never leaves this machine
    await must(['dpkg-repack', '--deb-option=-Zgzip', 'nodejs'], { cwd: fresh })
    rmSync(dir, { recursive: true, force: true })
    renameSync(fresh, dir)
  } finally {
    rmSync(fresh, { recursive: true, force: true })
  }
  return join(dir, readdirSync(dir).find((f) => f.endsWith('.deb'))!)
}

function treeKey(nodeDeb: string, depends: readonly string[]) {
  const packages = [...new Set([...depends.filter((p) => p !== 'nodejs'), ...TOOLS])].sort()
  return { tree: join(CACHE, 'bookworm'), key: `bookworm minbase ${MIRROR}\n${nodeDeb}\n${packages.join(' ')}\n`, packages }
}
const isCached = (tree: string, key: string) => existsSync(join(tree, '.halo-tree')) && readFileSync(join(tree, '.halo-tree'), 'utf8') === key

/** The tree debianTree made for these packages and this machine's nodejs, if it is there. */
export async function cachedTree(depends: readonly string[]): Promise<string | undefined> {
  const { deb } = await repackedNodejs()
  if (!deb) return undefined
  const { tree, key } = treeKey(deb, depends)
  return isCached(tree, key) ? tree : undefined
}

/**
 * The cached tree with these packages installed (nodejs from this machine): made again when the list or
 * this machine's nodejs changes; built aside and renamed into place, so a run cut short leaves no half tree.
 */
export async function debianTree(depends: readonly string[]): Promise<string> {
  const node = await nodejsDeb()
  const { tree, key, packages } = treeKey(node, depends)
  if (isCached(tree, key)) return tree

  mkdirSync(CACHE, { recursive: true })
  const fresh = mkdtempSync(join(CACHE, 'bookworm.new.'))
  try {
    await must(['debootstrap', '--variant=minbase', 'bookworm', fresh, MIRROR], { timeout: 1_200_000 })
    // as a cluster node's apt: nothing it installs starts (the packaging test checks the package starts nothing)
    writeFileSync(join(fresh, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 })
    writeFileSync(join(fresh, 'etc/resolv.conf'), readFileSync('/etc/resolv.conf'))
    writeFileSync(join(fresh, 'tmp/nodejs.deb'), readFileSync(node))
    const install = await inRoot(fresh, ['apt-get', 'install', '-y', '-q', '--no-install-recommends', '/tmp/nodejs.deb', ...packages], 1_200_000)
    if (install.code !== 0) throw new Error(`apt-get install in the tree: ${install.stdout.slice(-2000)}${install.stderr}`)
    await inRoot(fresh, ['apt-get', 'clean'])
    rmSync(join(fresh, 'tmp/nodejs.deb'))
    writeFileSync(join(fresh, '.halo-tree'), key)
    rmSync(tree, { recursive: true, force: true })
    renameSync(fresh, tree)
    return tree
  } finally {
    rmSync(fresh, { recursive: true, force: true })
  }
}

/** An overlay of the cached tree whose changes go to dir (upper, work, merged): the test's own Debian. */
export function overlayOf(lower: string, dir: string) {
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d))
  const script =
    'l=$1 u=$2 w=$3 m=$4; shift 4; mount -t overlay overlay -o "lowerdir=$l,upperdir=$u,workdir=$w" "$m" && mount -t proc proc "$m/proc" && exec chroot "$m" "$@"'
  return {
    /** where a file put in appears inside the tree (the overlay's upper layer) */
    upper: join(dir, 'upper'),
    /** runs argv in the tree: its own mount namespace mounts the overlay and /proc, gone when it exits */
    run: (argv: readonly string[], timeout = 300_000): Promise<RunResult> =>
      run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', lower, join(dir, 'upper'), join(dir, 'work'), join(dir, 'merged'), ...ENV, ...argv], { timeout }),
  }
}

// test/setup.sh makes the tree before the tests run: debootstrap takes minutes, more than a test file may
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`test set-up: Debian 12 tree for the package test in ${await debianTree(packageDepends())}`)
}
