/**
 * The lab's clean-up (demo/scope.ts) for tests: a tap Test is a Scope, so atEnd(t, argv) runs argv at the
 * test's teardown, or when the test process exits first (tap's timeout sends SIGTERM, which becomes an exit).
 */
export { type Scope, atEnd, uniqueName } from '../../demo/scope.ts'
