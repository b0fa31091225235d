// One esbuild bundle per program: every entry file below becomes dist/<folder>/<name>, an executable
// with a `#!/usr/bin/env node` line. Entries: agents/*.ts, ha.d/bin/*.ts, mon/bin/*.ts, bin/*.ts.
// `npm run build -- IPaddr Filesystem` builds only those programs. Scripts the bundles run from beside
// themselves (the virtual node's power switch, demo/node-power) are copied as they are.
import { build } from 'esbuild'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const folders = { agents: 'agents', 'ha.d/bin': 'bin', 'mon/bin': 'bin', bin: 'bin' }
/** found by the bundles at ../<path> from dist/bin (demo/node.ts: new URL('../demo/node-power', import.meta.url)) */
const scripts = ['demo/node-power']

/** Bundles one program into an executable CommonJS file (CommonJS: node starts it without a loader hop). */
export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // ESM packages ask import.meta.url where they are; in a CommonJS bundle it must be given.
    banner: { js: '#!/usr/bin/env node\nconst __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__import_meta_url' },
    logLevel: 'warning',
  })
  chmodSync(outfile, 0o755)
}

async function main(only: readonly string[]): Promise<void> {
  const entries = Object.entries(folders).flatMap(([src, out]) =>
    existsSync(src)
      ? readdirSync(src)
          .filter((f) => f.endsWith('.ts') && (only.length === 0 || only.includes(basename(f, '.ts'))))
          .map((f) => ({ in: join(src, f), out: join('dist', out, basename(f, '.ts')) }))
      : [],
  )
  await Promise.all(entries.map((e) => bundle(e.in, e.out)))
  // The bundles have no extension: this keeps the repository's "type": "module" off them.
  mkdirSync('dist', { recursive: true })
  writeFileSync('dist/package.json', '{ "type": "commonjs" }\n')
  for (const script of scripts) {
    mkdirSync(join('dist', dirname(script)), { recursive: true })
    copyFileSync(script, join('dist', script))
    chmodSync(join('dist', script), 0o755)
  }
  console.log(`built ${entries.length} programs into dist/`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2))
