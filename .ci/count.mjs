// Counts the real test results in a raw TAP stream (stdin) and prints `N passed, N failed[, N skipped]`.
// Every assertion counts once; a subtest's own summary point counts only when it fails while none of its
// assertions did (a crash, a timeout, a plan mismatch). Exits 1 on any failure or when nothing ran.
// argv[2], the test runner's exit code: non-zero with no failed assertion counts as one failure.
import { Parser } from 'tap-parser'

const tally = { passed: 0, failed: 0, skipped: 0 }
const failures = []

function watch(parser, path) {
  let child = null
  parser.on('child', (c) => {
    child = { name: c.name, failedBefore: tally.failed }
    watch(c, [...path, c.name])
  })
  parser.on('assert', (res) => {
    const summary = child !== null && res.name === child.name
    const childFailed = summary && tally.failed > child.failedBefore
    child = null
    if (summary && (res.ok || childFailed)) return
    if (res.skip || res.todo) tally.skipped++
    else if (res.ok) tally.passed++
    else {
      tally.failed++
      failures.push([...path, res.name].join(' > '))
    }
  })
}

const root = new Parser()
watch(root, [])
root.on('complete', () => {
  const runnerRc = Number(process.argv[2] ?? 0)
  if (runnerRc !== 0 && tally.failed === 0) {
    tally.failed++
    failures.push(`the test runner exited ${runnerRc}`)
  }
  if (failures.length) console.log(`failed:\n  ${failures.join('\n  ')}`)
  const skipped = tally.skipped ? `, ${tally.skipped} skipped` : ''
  console.log(`${tally.passed} passed, ${tally.failed} failed${skipped}`)
  process.exit(tally.failed > 0 || tally.passed === 0 ? 1 : 0)
})
process.stdin.pipe(root)
