/**
 * @module
 * Writing a file so that readers see either nothing or the whole content, never a part of it,
 * even across a crash: a temporary file in the same directory, created exclusively with the
 * final mode, written and fsynced, then renamed over the target, then the directory fsynced so
 * the rename itself is durable. The original init container exited on the file-creation event,
 * before its JSON was written (legacy defect 8); this is the fix.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface AtomicWriteOptions {
  /** Exact mode of the file (the umask does not apply). */
  mode: number
  /** Makes the rename durable; replaceable in tests to observe it. */
  syncDirectory?: (directory: string) => Promise<void>
}

/** Atomically replaces `path` with `content`. On failure nothing is left behind but the old file. */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const { mode, syncDirectory = fsyncDirectory } = options
  const directory = dirname(path)
  const temporaryPath = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  let renamed = false
  try {
    const handle = await open(temporaryPath, flags, mode & 0o600)
    try {
      await handle.chmod(mode)
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporaryPath, path)
    renamed = true
    await syncDirectory(directory)
  } catch (error) {
    if (!renamed) await unlink(temporaryPath).catch(() => {})
    throw error
  }
}

/** fsyncs a directory, so a rename inside it survives a crash. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
