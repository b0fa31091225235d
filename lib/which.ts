/** Finding programs: agents' binaries, haresources scripts, mon's monitors all live in search paths. */
import { accessSync, constants, statSync } from 'node:fs'
import { join } from 'node:path'

/** The first executable file `name` in `dirs` (a name with a slash is taken as it is); undefined if none. */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  const candidates = name.includes('/') ? [name] : dirs.filter(Boolean).map((dir) => join(dir, name))
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK)
      return statSync(path).isFile()
    } catch {
      return false
    }
  })
}
