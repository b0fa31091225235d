/**
 * Builds dist/halo_<version>_all.deb with dpkg-deb from dist/ (`npm run deb` builds dist/ first): the same
 * paths install.sh used, man pages (the agents' from their meta-data), logrotate, maintainer scripts.
 *   node --import=tsx pkg/deb.ts [--version V]   V defaults to package.json's (the tests build V+1 to upgrade)
 * Debian's own tool and no debhelper: the package is a tree of bundles and links, nothing to compile.
 */
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { run } from '../lib/exec.ts'
import { agentPageOf, manDate } from './man.ts'

const here = dirname(new URL(import.meta.url).pathname)
const repo = join(here, '..')
const src = (...p: string[]) => join(repo, ...p)

const LIB = 'usr/lib/halo'
/** halo's commands on PATH: "path:program in /usr/lib/halo/bin" */
const COMMANDS = ['usr/sbin/halo-heartbeat:halo-heartbeat', 'usr/sbin/halo-mon:halo-mon', 'usr/bin/halo:halo', 'usr/sbin/halo-drbd-peer-outdater:drbd-peer-outdater']
/**
 * halo's mon alerts, in the alertdir of Debian's mon and of the example's mon.cf (halo-mon and mon find them
 * there): "name:program in /usr/lib/halo/bin". A name of halo's own, so no other package has it.
 */
const ALERTS = ['usr/lib/mon/alert.d/halo-recover.alert:halo-recover-alert']
/** extra OCF names (resource-agents users know IPaddr2) */
const OCF_ALIASES = { IPaddr2: 'IPaddr' }
/**
 * Pages named as Heartbeat names its own (hb_standby(1)...) get the section suffix "halo" (hb_standby.1halo,
 * as openssl's x509.1ssl): the heartbeat package owns hb_standby.1.gz, and a node may have both.
 */
const HEARTBEAT_PAGES = ['hb_standby.1', 'hb_takeover.1', 'cl_status.1']

const sh = async (argv: string[], cwd?: string) => {
  const r = await run(argv, { cwd, timeout: 120_000 })
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** a link that stays inside the package: relative, as Debian wants within one top-level directory */
function link(root: string, path: string, target: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  symlinkSync(relative(dirname(`/${path}`), `/${target}`), join(root, path))
}

function put(root: string, from: string, to: string, mode: number): void {
  mkdirSync(dirname(join(root, to)), { recursive: true })
  copyFileSync(from, join(root, to))
  chmodSync(join(root, to), mode)
}

async function manPages(root: string, version: string): Promise<void> {
  const fill = (text: string) => text.replaceAll('@DATE@', manDate()).replaceAll('@VERSION@', version)
  for (const file of readdirSync(src('pkg/man'))) {
    const section = file.slice(file.lastIndexOf('.') + 1)
    let text = fill(readFileSync(src('pkg/man', file), 'utf8'))
    let name = file
    if (HEARTBEAT_PAGES.includes(file)) {
      text = text.replace(/^(\.TH \S+) 1 /, '$1 1halo ')
      name = `${file}halo`
    }
    mkdirSync(join(root, `usr/share/man/man${section}`), { recursive: true })
    writeFileSync(join(root, `usr/share/man/man${section}`, name), text)
  }
  mkdirSync(join(root, 'usr/share/man/man7'), { recursive: true })
  for (const agent of readdirSync(src('dist/agents'))) {
    const { name, page } = await agentPageOf(src('dist/agents', agent), version)
    writeFileSync(join(root, 'usr/share/man/man7', name), page)
  }
  for (const dir of readdirSync(join(root, 'usr/share/man'))) {
    await sh(['gzip', '-9n', ...readdirSync(join(root, 'usr/share/man', dir))], join(root, 'usr/share/man', dir))
  }
  for (const [alias, agent] of Object.entries(OCF_ALIASES)) {
    symlinkSync(`ocf_halo_${agent}.7.gz`, join(root, `usr/share/man/man7/ocf_halo_${alias}.7.gz`))
  }
}

function changelog(version: string): string {
  const date = new Date(manDate()).toUTCString().replace('GMT', '+0000')
  return `halo (${version}) unstable; urgency=medium\n\n  * Built from the halo repository; see /usr/lib/halo/README.md.\n\n -- halo <halo@localhost>  ${date}\n`
}

async function stage(root: string, version: string): Promise<void> {
  // /usr/lib/halo: the bundles as dist/ has them (package.json keeps them CommonJS), the example, README
  for (const entry of ['agents', 'bin', 'demo', 'package.json']) cpSync(src('dist', entry), join(root, LIB, entry), { recursive: true })
  cpSync(src('examples'), join(root, LIB, 'examples'), { recursive: true })
  put(root, src('README.md'), `${LIB}/README.md`, 0o644)
  put(root, src('pkg/debian/v1-names'), `${LIB}/v1-names`, 0o755)

  for (const agent of readdirSync(src('dist/agents'))) link(root, `usr/lib/ocf/resource.d/halo/${agent}`, `${LIB}/agents/${agent}`)
  for (const [alias, agent] of Object.entries(OCF_ALIASES)) link(root, `usr/lib/ocf/resource.d/halo/${alias}`, `${LIB}/agents/${agent}`)
  for (const pair of [...COMMANDS, ...ALERTS]) {
    const [path, program] = pair.split(':')
    link(root, path, `${LIB}/bin/${program}`)
  }
  for (const unit of readdirSync(src('systemd'))) put(root, src('systemd', unit), `lib/systemd/system/${unit}`, 0o644)
  put(root, src('pkg/debian/halo.logrotate'), 'etc/logrotate.d/halo', 0o644)
  await manPages(root, version)
  put(root, src('pkg/debian/copyright'), 'usr/share/doc/halo/copyright', 0o644)
  put(root, src('pkg/debian/lintian-overrides'), 'usr/share/lintian/overrides/halo', 0o644)
  writeFileSync(join(root, 'usr/share/doc/halo/changelog'), changelog(version))
  await sh(['gzip', '-9n', 'changelog'], join(root, 'usr/share/doc/halo'))
  // whatever the umask and the checkout's modes: directories and programs 755, the rest 644
  await sh(['chmod', '-R', 'u=rwX,go=rX', '.'], root)

  const debian = join(root, 'DEBIAN')
  mkdirSync(debian)
  for (const script of ['postinst', 'prerm', 'postrm']) put(root, src('pkg/debian', script), `DEBIAN/${script}`, 0o755)
  writeFileSync(join(debian, 'conffiles'), '/etc/logrotate.d/halo\n')
  const files = (await sh(['find', '.', '-path', './DEBIAN', '-prune', '-o', '-type', 'f', '-printf', '%P\\0'], root)).split('\0').filter(Boolean).sort()
  writeFileSync(join(debian, 'md5sums'), await sh(['md5sum', '--', ...files.filter((f) => !f.startsWith('etc/'))], root))
  const size = (await sh(['du', '-sk', '--exclude=DEBIAN', '.'], root)).split('\t')[0]
  const control = readFileSync(src('pkg/debian/control'), 'utf8').replace('@VERSION@', version).replace('@SIZE@', size)
  writeFileSync(join(debian, 'control'), control)
}

/** dist/halo_<version>_all.deb, or in outDir */
export async function buildDeb(version: string, outDir = src('dist')): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'halo-deb.'))
  try {
    chmodSync(root, 0o755)
    await stage(root, version)
    const out = join(outDir, `halo_${version}_all.deb`)
    await sh(['dpkg-deb', '--root-owner-group', '-Zxz', '--build', root, out])
    return out
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--version')
  const version = i >= 0 ? argv[i + 1] : (JSON.parse(readFileSync(src('package.json'), 'utf8')) as { version: string }).version
  if (!version || !/^[0-9][A-Za-z0-9.+~-]*$/.test(version)) throw new Error(`not a Debian version: ${version}`)
  // the same commit gives the same pages and dates (dpkg-deb also reads it); without git or a clone, today's
  if (!process.env.SOURCE_DATE_EPOCH) {
    const commit = await run(['git', 'log', '-1', '--format=%ct'], { cwd: repo }).catch(() => undefined)
    if (commit?.code === 0 && commit.stdout.trim()) process.env.SOURCE_DATE_EPOCH = commit.stdout.trim()
  }
  console.log(`built ${relative(process.cwd(), await buildDeb(version))}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2))
