/**
 * @module
 * The allow-list in force, and its hot reload. A new version of the file is parsed and validated
 * in full before anything changes; only then is the compiled `AllowList` swapped, in one
 * assignment. A request reads the allow-list once, when it decides, so a request in flight keeps
 * the rules it started with and the next one gets the new rules: there is never a mix.
 *
 * A new version that is refused leaves the previous one in force, with one error line naming the
 * file and every problem (the same lines as at start, see `policy/load-allow-list.ts`). The same
 * refused content is not reported again at every poll; a fixed file is applied at once.
 * Versions are told apart by the SHA-256 of the file's bytes (`sha256sum` gives the same value),
 * which is logged and exported as a metric so replicas can be compared; the content never is.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type AllowList, AllowListError, type LoadAllowListOptions, loadAllowList } from '../policy/index.ts'
import { type FileWatch, type ReloadLog, watchFiles } from './watch-files.ts'

/** What is in force. */
export interface AllowListStatus {
  /** SHA-256 (hex) of the file content in force. */
  readonly sha256: string
  /** 1 at start, +1 at each applied reload. */
  readonly generation: number
  readonly rules: number
}

export type ReloadOutcome = 'unchanged' | 'applied' | 'rejected'

export interface AllowListWatchOptions {
  /** How often the file is read even without a file-system event. */
  intervalMs: number
  log: ReloadLog
  /** Called after each applied or rejected new version (metrics). */
  onReload?: (outcome: 'applied' | 'rejected', status: AllowListStatus) => void
  debounceMs?: number
  /** `false`: poll only (tests). */
  events?: boolean
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

export class AllowListSource {
  readonly file: string
  readonly #options: LoadAllowListOptions
  #current: AllowList
  #status: AllowListStatus
  /** Hash of the last content read, applied or refused, so that a refusal is reported once. */
  #lastSeen: string
  /** The last read error reported, so that a missing file is reported once. */
  #lastReadError: string | undefined
  #watch: FileWatch | undefined
  #log: ReloadLog | undefined
  #onReload: AllowListWatchOptions['onReload']

  /**
   * Compiles the content read at start.
   * @throws AllowListError when it is invalid (the controller then does not start).
   */
  constructor(file: string, text: string, options: LoadAllowListOptions = {}) {
    this.file = file
    this.#options = options
    this.#current = loadAllowList(text, options)
    const sha256 = sha256Hex(text)
    this.#status = Object.freeze({ sha256, generation: 1, rules: this.#current.rules.length })
    this.#lastSeen = sha256
  }

  /** The allow-list in force. Read it once per decision. */
  current(): AllowList {
    return this.#current
  }

  status(): AllowListStatus {
    return this.#status
  }

  /** Reads the file and applies it when it changed and is valid; a refusal is logged, not thrown. */
  async reload(): Promise<ReloadOutcome> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error)
      if (code !== this.#lastReadError) {
        this.#lastReadError = code
        this.#log?.error(
          { file: this.file, err: code, generation: this.#status.generation },
          'allow-list unreadable; the previous rules stay in force',
        )
      }
      return 'unchanged'
    }
    this.#lastReadError = undefined
    const sha256 = sha256Hex(text)
    if (sha256 === this.#lastSeen) return 'unchanged'
    this.#lastSeen = sha256

    let next: AllowList
    try {
      next = loadAllowList(text, this.#options)
    } catch (error) {
      if (!(error instanceof AllowListError)) throw error
      this.#log?.error(
        {
          file: this.file,
          sha256,
          problems: error.problems,
          inForce: { sha256: this.#status.sha256, generation: this.#status.generation },
        },
        `allow-list rejected; the previous rules stay in force: ${error.problems.join('; ')}`,
      )
      this.#onReload?.('rejected', this.#status)
      return 'rejected'
    }
    this.#current = next
    this.#status = Object.freeze({
      sha256,
      generation: this.#status.generation + 1,
      rules: next.rules.length,
    })
    this.#log?.info(
      { file: this.file, rules: next.rules.length, sha256, generation: this.#status.generation },
      'allow-list reloaded',
    )
    this.#onReload?.('applied', this.#status)
    return 'applied'
  }

  /** Starts watching the file (see `watch-files.ts`); `close()` stops. */
  watch(options: AllowListWatchOptions): void {
    if (this.#watch !== undefined) throw new Error('the allow-list is already watched')
    this.#log = options.log
    this.#onReload = options.onReload
    this.#watch = watchFiles([this.file], {
      intervalMs: options.intervalMs,
      log: options.log,
      onChange: () => this.reload(),
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      ...(options.events === undefined ? {} : { events: options.events }),
    })
  }

  close(): void {
    this.#watch?.close()
    this.#watch = undefined
  }
}
