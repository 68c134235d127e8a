/**
 * @module
 * The work queue between the pod watch and Vault. One entry per pod UID: an event storm about
 * one pod (every status update of a terminating pod, a re-list, two watchers) makes one
 * revocation, not many. Attempts run with bounded concurrency (so a mass deletion leaves room
 * for token requests on the shared Vault client) and failed ones are retried with exponential
 * backoff and jitter (p-retry) until they succeed or the give-up bound passes; then the
 * finalizer is removed anyway, loudly ({@link giveUpPodRevocation}). Waiting between attempts
 * holds no concurrency slot.
 */
import pLimit from 'p-limit'
import pRetry from 'p-retry'
import type { Metrics } from '../metrics/metrics.ts'
import {
  failureCode,
  giveUpPodRevocation,
  type PodRef,
  type RevocationDeps,
  RevocationPendingError,
  reportRevocationDelayed,
  revokePodToken,
} from './revoke-pod-token.ts'

export interface RevocationQueueSettings {
  /** Attempts in flight at once. */
  concurrency: number
  /** How long a pod's revocation is retried before the finalizer is removed anyway. */
  giveUpAfterMs: number
  /** First retry delay (then doubled, randomised ×1–2, capped). Default 1000 ms. */
  retryMinDelayMs?: number
  /** Default 30000 ms. */
  retryMaxDelayMs?: number
}

export class RevocationQueue {
  readonly #deps: RevocationDeps
  readonly #metrics: Metrics | undefined
  readonly #settings: Required<RevocationQueueSettings>
  readonly #limit: ReturnType<typeof pLimit>
  readonly #abort = new AbortController()
  /** Pods queued or in progress, by UID, with the promise of their run. */
  readonly #pending = new Map<string, Promise<void>>()

  constructor(deps: RevocationDeps, settings: RevocationQueueSettings, metrics?: Metrics) {
    this.#deps = deps
    this.#metrics = metrics
    this.#settings = { retryMinDelayMs: 1000, retryMaxDelayMs: 30_000, ...settings }
    this.#limit = pLimit(settings.concurrency)
  }

  /** Pods waiting or being revoked. */
  get depth(): number {
    return this.#pending.size
  }

  /** Queues `ref` unless it is already queued; no-op once stopped. */
  add(ref: PodRef): void {
    if (this.#abort.signal.aborted || this.#pending.has(ref.uid)) return
    const run = this.#run({ namespace: ref.namespace, name: ref.name, uid: ref.uid }).finally(() => {
      this.#pending.delete(ref.uid)
      this.#metrics?.setRevocationQueueDepth(this.#pending.size)
    })
    this.#pending.set(ref.uid, run)
    this.#metrics?.setRevocationQueueDepth(this.#pending.size)
  }

  /** Stops retrying and waits for attempts in flight (a Vault call is bounded by its timeout). */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('the revocation queue stopped'))
    await Promise.allSettled([...this.#pending.values()])
  }

  async #run(ref: PodRef): Promise<void> {
    const { log, clock } = this.#deps
    const signal = this.#abort.signal
    const firstTriedMs = clock.now()
    let lastError: unknown
    let delayReported = false
    try {
      const outcome = await pRetry(() => this.#limit(() => attempt(() => revokePodToken(this.#deps, ref))), {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: this.#settings.retryMinDelayMs,
        maxTimeout: this.#settings.retryMaxDelayMs,
        randomize: true,
        unref: true,
        signal,
        onFailedAttempt: async ({ error, attemptNumber, retryDelay }) => {
          lastError = error
          this.#metrics?.countRevocationRetry()
          const pending = error instanceof RevocationPendingError
          log[pending ? 'info' : 'warn'](
            { err: error, pod: ref, attempt: attemptNumber, retryInMs: retryDelay },
            `revocation not done yet: ${error.message}`,
          )
          if (!pending && !delayReported) {
            delayReported = true
            await reportRevocationDelayed(this.#deps, ref, error.message, this.#settings.giveUpAfterMs)
          }
        },
        shouldRetry: () => clock.now() - firstTriedMs < this.#settings.giveUpAfterMs,
      })
      this.#metrics?.countRevocation(outcome)
      return
    } catch (error) {
      if (signal.aborted) return
      lastError = error
    }

    // The bound passed: stop holding the deletion. Only Kubernetes is needed for that, so keep
    // trying until it answers (or the queue stops).
    const failure = {
      reason: lastError instanceof Error ? lastError.message : 'unknown failure',
      code: failureCode(lastError instanceof AttemptError ? lastError.cause : lastError),
      waitedMs: clock.now() - firstTriedMs,
    }
    try {
      const outcome = await pRetry(
        () => this.#limit(() => attempt(() => giveUpPodRevocation(this.#deps, ref, failure))),
        {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: this.#settings.retryMinDelayMs,
          maxTimeout: this.#settings.retryMaxDelayMs,
          randomize: true,
          unref: true,
          signal,
          onFailedAttempt: ({ error }) => {
            log.error({ err: error, pod: ref }, 'cannot remove the finalizer after giving up; retrying')
          },
        },
      )
      this.#metrics?.countRevocation(outcome)
    } catch (error) {
      if (!signal.aborted) log.error({ err: error, pod: ref }, 'revocation queue: unexpected failure')
    }
  }
}

/** p-retry does not retry TypeErrors (bugs): wrap them so every failure is retried alike. */
class AttemptError extends Error {
  override readonly name = 'AttemptError'
}

async function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof TypeError) throw new AttemptError(error.message, { cause: error })
    throw error
  }
}
