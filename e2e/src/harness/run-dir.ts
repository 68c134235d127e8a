/**
 * @module
 * One temporary directory per suite: kubeconfig, token files, allow-list, each pod's projected
 * token and output directory. Everything a run writes lives here and goes with `remove()`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RunDir {
  readonly path: string
  /** Writes `name` (mode 0600 by default) and returns its path. */
  writeFile(name: string, content: string, mode?: number): string
  /** A fresh sub-directory (mode 0700). */
  makeDir(prefix: string): string
  remove(): void
}

export function createRunDir(prefix = 'vault-controller-e2e-'): RunDir {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return {
    path,
    writeFile(name, content, mode = 0o600) {
      const file = join(path, name)
      writeFileSync(file, content, { mode })
      return file
    },
    makeDir(dirPrefix) {
      return mkdtempSync(join(path, dirPrefix))
    },
    remove() {
      rmSync(path, { recursive: true, force: true })
    },
  }
}
