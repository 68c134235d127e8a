/**
 * @module
 * The Vault gate of `/v1/*` and the probes behind `/readyz`. While Vault is sealed or unreachable,
 * or the controller holds no usable Vault token of its own, every route of the scope it is
 * registered in answers `503 VC_VAULT_UNAVAILABLE` before any work. Register it in the child scope
 * of `/v1/*`, never at the root: `/livez` and `/metrics` must stay up (STYLE §4).
 *
 * Why not under-pressure's `healthCheck`: it caches one combined answer for a whole interval, so a
 * replica stayed unready for up to that interval after its Vault token arrived. Here each
 * condition is read when asked: the token's usability live (it flips the moment the login ends),
 * Vault's health through a {@link CachedProbe} (a good answer holds for the interval and is
 * refreshed in the background; a bad one is re-checked at most every second, on demand), so
 * readiness turns as soon as every condition holds, and no timer runs.
 */
import type { FastifyInstance } from 'fastify'
import { BrokerError } from '../errors.ts'
import type { VaultClient } from '../vault/vault-client.ts'

export interface CachedProbeOptions {
  /** How long a passing answer is trusted before it is refreshed. */
  freshForMs: number
  /** How soon a failing answer may be re-checked; default min(1 s, freshForMs). */
  recheckFailureAfterMs?: number
  clock?: { now(): number }
}

/**
 * One condition that costs a call to check (Vault's health, the JWKS): single flight, cached, and
 * never waited on longer than the caller says.
 */
export class CachedProbe {
  readonly #run: () => Promise<boolean>
  readonly #freshForMs: number
  readonly #recheckFailureAfterMs: number
  readonly #clock: { now(): number }
  #last: { ok: boolean; atMs: number } | undefined
  #running: Promise<boolean> | undefined

  constructor(run: () => Promise<boolean>, options: CachedProbeOptions) {
    this.#run = run
    this.#freshForMs = options.freshForMs
    this.#recheckFailureAfterMs = options.recheckFailureAfterMs ?? Math.min(1000, options.freshForMs)
    this.#clock = options.clock ?? { now: Date.now }
  }

  /** The last answer, without checking; undefined before the first one. */
  get last(): boolean | undefined {
    return this.#last?.ok
  }

  /**
   * The condition now: a recent enough answer, or a new check awaited for at most `waitMs`
   * (then the last answer, or false). `staleOk`: a passing answer past its freshness is returned
   * at once while the check runs in the background (the gate of token requests).
   */
  async current(options: { waitMs: number; staleOk?: boolean }): Promise<boolean> {
    const last = this.#last
    const ageMs = last === undefined ? Number.POSITIVE_INFINITY : this.#clock.now() - last.atMs
    if (last?.ok === true && ageMs < this.#freshForMs) return true
    if (last?.ok === false && ageMs < this.#recheckFailureAfterMs) return false
    const running = this.#check()
    if (options.staleOk === true && last?.ok === true) return true
    return (await within(running, options.waitMs)) ?? this.#last?.ok ?? false
  }

  #check(): Promise<boolean> {
    this.#running ??= this.#run()
      .catch(() => false)
      .then((ok) => {
        this.#last = { ok, atMs: this.#clock.now() }
        this.#running = undefined
        return ok
      })
    return this.#running
  }
}

/** `promise`'s value, or undefined if it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Vault initialised and unsealed, as a probe (`sys/health` is unauthenticated). */
export function vaultHealthProbe(
  vault: Pick<VaultClient, 'health'>,
  options: CachedProbeOptions,
): CachedProbe {
  return new CachedProbe(async () => {
    const health = await vault.health()
    return health.initialized && !health.sealed
  }, options)
}

/** How long a token request may wait for a Vault health check before it is gated on the last answer. */
const GATE_WAIT_MS = 2000

export async function registerVaultPressure(
  scope: FastifyInstance,
  options: {
    vaultHealth: CachedProbe
    /**
     * Whether the controller holds a usable Vault token of its own, once a login in flight has
     * ended (`VaultTokenSource.settled`); default: assume it does.
     */
    tokenUsable?: () => Promise<boolean>
  },
): Promise<void> {
  scope.addHook('onRequest', async () => {
    const tokenUsable =
      options.tokenUsable === undefined ? true : await within(options.tokenUsable(), GATE_WAIT_MS)
    const usable =
      tokenUsable === true && (await options.vaultHealth.current({ waitMs: GATE_WAIT_MS, staleOk: true }))
    if (!usable) {
      throw new BrokerError(
        'VC_VAULT_UNAVAILABLE',
        'Vault is unavailable or sealed, or the controller has no usable Vault token',
        { retryAfterSeconds: 5 },
      )
    }
  })
}
