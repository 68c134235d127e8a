/**
 * @module
 * Notices that files may have changed, the way Kubernetes changes them: a ConfigMap or Secret
 * volume never rewrites a file in place, it writes a new timestamped directory and swaps the
 * `..data` symlink, so a watch on the file's own inode goes quiet after the first update. We watch
 * the **containing directory** instead (`fs.watch`, inotify on Linux), debounce its bursts, and
 * also poll on a timer, because events can be lost (network filesystems, a directory that was
 * replaced, inotify limits). Neither says *what* changed: the caller reads the files and compares
 * content hashes (a kubelet swap keeps modification times), so a spurious trigger costs one read.
 *
 * Hand-written on `node:fs.watch` rather than chokidar: chokidar's file watches follow the inode
 * too (the symlink swap is the problem it does not solve), we need neither its events nor its
 * globbing, and the content hash makes the whole job about forty lines.
 *
 * @example
 * const watch = watchFiles(['/etc/vault-controller/allow-list.yaml'], {
 *   intervalMs: 10_000, onChange: () => source.reload(), log,
 * })
 * // later, on close:
 * watch.close()
 */
import { type FSWatcher, watch } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** The pino methods the reload modules log with (Fastify's logger fits). */
export interface ReloadLog {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

/** Bursts of directory events closer together than this cause one check. */
export const DEFAULT_DEBOUNCE_MS = 200

export interface WatchFilesOptions {
  /** Poll at least this often, events or not. */
  intervalMs: number
  /** Default {@link DEFAULT_DEBOUNCE_MS}. */
  debounceMs?: number
  /** Watch directories for events; default true. `false`: polling only (tests of the fallback). */
  events?: boolean
  /** Reads the files and applies what changed. Never runs twice at once; a failure is logged. */
  onChange: () => unknown
  log: ReloadLog
}

export interface FileWatch {
  /** Runs a check now (after any check in progress) and resolves when it is done. */
  check(): Promise<void>
  /** Stops every watcher and timer; a check in progress finishes, none starts. */
  close(): void
}

/** Watches the directories holding `paths` and polls; calls `onChange` when something may have changed. */
export function watchFiles(paths: readonly string[], options: WatchFilesOptions): FileWatch {
  const { intervalMs, debounceMs = DEFAULT_DEBOUNCE_MS, onChange, log } = options
  const directories = [...new Set(paths.map((path) => dirname(resolve(path))))]
  const watchers = new Map<string, FSWatcher>()
  const unwatchable = new Set<string>()
  let closed = false
  let debounce: NodeJS.Timeout | undefined
  let chain: Promise<void> = Promise.resolve()
  let queued: Promise<void> | undefined

  const check = (): Promise<void> => {
    if (queued !== undefined) return queued
    const next = chain.then(async () => {
      queued = undefined
      if (closed) return
      try {
        await onChange()
      } catch (error) {
        log.error({ err: error }, 'config reload check failed')
      }
    })
    queued = next
    chain = next
    return next
  }

  const schedule = () => {
    if (closed) return
    clearTimeout(debounce)
    debounce = setTimeout(() => void check(), debounceMs)
    debounce.unref()
  }

  const arm = (directory: string) => {
    if (closed || watchers.has(directory)) return
    try {
      // persistent: false, so a forgotten watch never keeps the process alive.
      const watcher = watch(directory, { persistent: false }, schedule)
      watcher.on('error', (error) => {
        watcher.close()
        watchers.delete(directory)
        log.warn({ directory, err: error }, 'directory watch failed; polling until it can be watched again')
        schedule()
      })
      watchers.set(directory, watcher)
      unwatchable.delete(directory)
    } catch (error) {
      // Say it once, not at every poll.
      if (!unwatchable.has(directory)) {
        unwatchable.add(directory)
        log.warn({ directory, err: error }, 'cannot watch directory; polling only')
      }
    }
  }

  const armAll = () => {
    if (options.events !== false) directories.forEach(arm)
  }
  armAll()
  const poll = setInterval(() => {
    armAll() // a directory that came back (or appeared) is watched again
    void check()
  }, intervalMs)
  poll.unref()

  return {
    check,
    close() {
      closed = true
      clearInterval(poll)
      clearTimeout(debounce)
      for (const watcher of watchers.values()) watcher.close()
      watchers.clear()
    },
  }
}
