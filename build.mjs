// One esbuild bundle per program: every entry file below becomes dist/<folder>/<name>, an executable
// with a `#!/usr/bin/env node` line. Entries: agents/*.ts, ha.d/bin/*.ts, mon/bin/*.ts, bin/*.ts.
// `node build.mjs IPaddr Filesystem` builds only those programs.
import { build } from 'esbuild'
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

const folders = { agents: 'agents', 'ha.d/bin': 'bin', 'mon/bin': 'bin', bin: 'bin' }

const only = process.argv.slice(2)
const entries = Object.entries(folders).flatMap(([src, out]) =>
  existsSync(src)
    ? readdirSync(src)
        .filter((f) => f.endsWith('.ts') && (only.length === 0 || only.includes(basename(f, '.ts'))))
        .map((f) => ({ in: join(src, f), out: join('dist', out, basename(f, '.ts')) }))
    : [],
)

await Promise.all(
  entries.map(async (e) => {
    await build({
      entryPoints: [e.in],
      outfile: e.out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      legalComments: 'none',
      banner: { js: '#!/usr/bin/env node' },
      logLevel: 'warning',
    })
    chmodSync(e.out, 0o755)
  }),
)
// The bundles are CommonJS and have no extension: this keeps the repository's "type": "module" off them.
mkdirSync('dist', { recursive: true })
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n')
console.log(`built ${entries.length} programs into dist/`)
