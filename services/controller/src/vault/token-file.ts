/**
 * @module
 * The controller's own Vault token, read from a file (a projected Secret or an agent's sink).
 * The file is re-read at most every few seconds, so a rotated token is picked up without a restart
 * and a request does not cost a file read.
 */
import { readFile } from 'node:fs/promises'
import { Secret } from '../secret.ts'

export function tokenFromFile(path: string, options: { maxAgeMs?: number; now?: () => number } = {}) {
  const maxAgeMs = options.maxAgeMs ?? 5000
  const now = options.now ?? Date.now
  let cached: { token: Secret; readAtMs: number } | undefined
  return async (): Promise<Secret> => {
    if (cached !== undefined && now() - cached.readAtMs < maxAgeMs) return cached.token
    const text = (await readFile(path, 'utf8')).trim()
    if (text === '') throw new Error(`the Vault token file ${path} is empty`)
    cached = { token: new Secret(text), readAtMs: now() }
    return cached.token
  }
}
