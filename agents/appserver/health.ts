/**
 * The depth 10 check: the application's own health URL answers 2xx. A redirect or an error page means
 * the application is not serving, whatever its ports say.
 */
import { HaloError } from '../../lib/errors.ts'
import { OCF } from '../../lib/ocf/codes.ts'

export function checkHealth(url: URL, timeoutMs: number): Promise<void> {
  const client = (url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http')) as typeof import('node:http')
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new HaloError(OCF.ERR_GENERIC, `health URL ${url.href}: ${why}`))
    // a self-signed certificate is the rule on an application's own port: the check is health, not trust
    const req = client.get(url, { timeout: timeoutMs, rejectUnauthorized: false } as import('node:https').RequestOptions, (res) => {
      res.resume()
      const code = res.statusCode ?? 0
      if (code >= 200 && code < 300) resolve()
      else fail(`HTTP ${code} ${res.statusMessage ?? ''}`.trim())
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (e) => fail(e.message))
  })
}
