// Tests wait the way the demo does: one bounded poll, in lib/.
export { until } from '../../lib/wait.ts'
