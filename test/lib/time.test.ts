import t from 'tap'
import { haCfTime, monCfTime, ocfTime, parseDuration } from '../../lib/time.ts'

t.test('ha.cf: a bare number is seconds, ms and us suffixes, rounded to ms', async (t) => {
  t.equal(parseDuration('1', haCfTime), 1000)
  t.equal(parseDuration('0.5', haCfTime), 500)
  t.equal(parseDuration('200ms', haCfTime), 200)
  t.equal(parseDuration('1500us', haCfTime), 2)
  t.equal(parseDuration('30s', haCfTime), undefined, 'heartbeat refuses an s suffix')
  t.equal(parseDuration('2m', haCfTime), undefined, 'ha.cf has no minutes')
  t.equal(parseDuration('fast', haCfTime), undefined)
  t.equal(parseDuration('-1', haCfTime), undefined)
})

t.test('mon.cf: a unit is required; d h m s, and ms as halo extension', async (t) => {
  t.equal(parseDuration('5', monCfTime), undefined)
  t.equal(parseDuration('5s', monCfTime), 5000)
  t.equal(parseDuration('1.5m', monCfTime), 90000)
  t.equal(parseDuration('2h', monCfTime), 7_200_000)
  t.equal(parseDuration('1d', monCfTime), 86_400_000)
  t.equal(parseDuration('200ms', monCfTime), 200)
})

t.test('OCF: a bare number in the parameter unit', async (t) => {
  t.equal(parseDuration('200', ocfTime('ms')), 200)
  t.equal(parseDuration('20', ocfTime('s')), 20000)
  t.equal(parseDuration('20s', ocfTime('ms')), 20000)
  t.equal(parseDuration('1h', ocfTime('s')), 3_600_000)
  t.equal(parseDuration('20 s', ocfTime('s')), undefined)
})
