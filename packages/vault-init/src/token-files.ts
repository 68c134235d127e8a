/**
 * @module
 * The two files vault-init leaves for the app, in the output directory (a memory-backed
 * `emptyDir` shared with the app containers):
 * - `token`: the client token alone, no newline (`cat` it into a header);
 * - `secret.json`: Vault's whole unwrapped response plus `\n`, as the original init container
 *   wrote it (apps read `auth.client_token` and `auth.lease_duration`).
 *
 * Each is written atomically, `token` first and `secret.json` last: `secret.json` is the "done"
 * marker (the file the original's consumers watch), so when it exists both files are complete
 * and consistent. The same order lets a restarted init container recognise its own finished work.
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SECRET_FILE_NAME, TOKEN_FILE_NAME } from '@vault-controller/protocol'
import { writeFileAtomic } from './atomic-write.ts'
import { type PodIdentity, podMismatches } from './pod-identity.ts'
import { Secret } from './secret.ts'

export interface TokenFiles {
  clientToken: Secret
  /** Vault's unwrapped response body as received. */
  unwrappedBody: string
}

/** Writes `token`, then `secret.json`, each atomically with `mode`. */
export async function writeTokenFiles(outputDir: string, files: TokenFiles, mode: number): Promise<void> {
  await writeFileAtomic(join(outputDir, TOKEN_FILE_NAME), files.clientToken.reveal(), { mode })
  await writeFileAtomic(join(outputDir, SECRET_FILE_NAME), `${files.unwrappedBody.trimEnd()}\n`, { mode })
}

export type ExistingTokenFiles =
  /** No `secret.json`: nothing finished here yet (a lone `token` is an interrupted write). */
  | { state: 'absent' }
  /**
   * `secret.json` for this pod: an earlier run finished. `tokenFileMatches` is false when `token`
   * was removed or changed since; {@link restoreTokenFile} puts it back from `secret.json`.
   */
  | { state: 'present'; tokenAccessor: string | undefined; clientToken: Secret; tokenFileMatches: boolean }
  /** Files that belong to another pod, or that cannot be read as ours: never overwritten. */
  | { state: 'foreign'; reason: string }

/** What an earlier run (or someone else) left in `outputDir`. */
export async function inspectTokenFiles(outputDir: string, pod: PodIdentity): Promise<ExistingTokenFiles> {
  const secretText = await readIfExists(join(outputDir, SECRET_FILE_NAME))
  if (secretText === undefined) return { state: 'absent' }
  let auth: { client_token?: unknown; accessor?: unknown; metadata?: unknown } | undefined
  try {
    auth = (JSON.parse(secretText) as { auth?: typeof auth }).auth ?? undefined
  } catch {
    return { state: 'foreign', reason: `${SECRET_FILE_NAME} is not valid JSON` }
  }
  if (typeof auth !== 'object' || auth === null || typeof auth.client_token !== 'string') {
    return { state: 'foreign', reason: `${SECRET_FILE_NAME} holds no auth.client_token` }
  }
  const mismatches = podMismatches(auth.metadata, pod)
  if (mismatches.length > 0) {
    return {
      state: 'foreign',
      reason: `${SECRET_FILE_NAME} names another pod (${mismatches.join(', ')} differ)`,
    }
  }
  const tokenText = await readIfExists(join(outputDir, TOKEN_FILE_NAME))
  return {
    state: 'present',
    tokenAccessor: typeof auth.accessor === 'string' ? auth.accessor : undefined,
    clientToken: new Secret(auth.client_token),
    tokenFileMatches: tokenText === auth.client_token,
  }
}

/** Rewrites `token` from the client token recorded in `secret.json`. */
export async function restoreTokenFile(outputDir: string, clientToken: Secret, mode: number): Promise<void> {
  await writeFileAtomic(join(outputDir, TOKEN_FILE_NAME), clientToken.reveal(), { mode })
}

/**
 * Removes both files, `secret.json` (the "done" marker) first: used when the written token turned
 * out to be revoked, so no app ever starts with it.
 */
export async function removeTokenFiles(outputDir: string): Promise<void> {
  await rm(join(outputDir, SECRET_FILE_NAME), { force: true })
  await rm(join(outputDir, TOKEN_FILE_NAME), { force: true })
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
