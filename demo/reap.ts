/**
 * Teardown for a scratch directory of the lab and whatever runs on it: every process whose argv names the
 * directory or whose working directory is inside it is killed (the directory is unique to its owner, so
 * nothing else matches), then the directory is removed once they are gone (5 s at most). An argv, so it
 * can be registered with atEnd and run even when the process is being killed.
 */
const script = `
const fs = require('node:fs'), dir = process.argv[1]
const inDir = (p) => { try { const c = fs.readlinkSync('/proc/' + p + '/cwd'); return c === dir || c.startsWith(dir + '/') } catch { return false } }
const names = (p) => { try { return fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').includes(dir) } catch { return false } }
const ours = () => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p) && +p !== process.pid && (names(p) || inDir(p)))
for (const p of ours()) try { process.kill(+p, 'SIGKILL') } catch {}
const until = Date.now() + 5000
const wait = () => { if (ours().length && Date.now() < until) setTimeout(wait, 10); else fs.rmSync(dir, { recursive: true, force: true }) }
wait()`

export const reapArgv = (dir: string): string[] => ['node', '-e', script, dir]
