/**
 * @module
 * One run of vault-init (DESIGN §3 steps 1, 2, 6 and 8): make the callback identity, listen,
 * ask the controller (retrying what is retryable until the deadline), receive the wrapped token
 * by callback or in the answer, unwrap it, check it names this pod, write the files.
 *
 * The run succeeds when the files are written and the controller confirmed, or when the files
 * are written and the controller's answer does not come within a short grace period (the token
 * is in place; the controller confirms delivery from the callback's 200, not from us). It never
 * succeeds without the files, and a signal never counts as success (legacy defect 11).
 */
import { access, constants, readFile } from 'node:fs/promises'
import type { TokenRequest, TokenResponse, WrapInfo } from '@vault-controller/protocol'
import { backoffDelayMs } from './backoff.ts'
import { createCallbackCertificate } from './callback-certificate.ts'
import { type CallbackServer, type DeliveryAnswer, startCallbackServer } from './callback-server.ts'
import type { VaultInitConfig } from './config.ts'
import { requestToken, type TokenAttempt } from './controller-client.ts'
import { type ExitCode, exitCodes } from './exit-codes.ts'
import { createHttpTransport, type HttpTransport } from './http-transport.ts'
import { type Logger, silentLogger } from './logger.ts'
import { type PodIdentity, podMismatches, podUidFromServiceAccountToken } from './pod-identity.ts'
import { abortableSleep, errno, type RunDeps } from './run-deps.ts'
import { Secret } from './secret.ts'
import { SingleDelivery } from './single-delivery.ts'
import {
  type ExistingTokenFiles,
  inspectTokenFiles,
  removeTokenFiles,
  restoreTokenFile,
  writeTokenFiles,
} from './token-files.ts'
import { lookupSelf, revokeSelf, type TokenLiveness, unwrap } from './vault-unwrap.ts'

/** The run's dependencies: aborting `signal` ends it with 143 (reason `'SIGTERM'`) or 130 (`'SIGINT'`). */
export interface VaultInitDeps extends RunDeps {
  /** How long to wait for the controller's answer once the files are written. Default 5 s. */
  answerGraceMs?: number
  /** Called once the callback listener is up (tests use the bound port). */
  onListening?: (listener: { port: number; certSha256: string }) => void
}

export interface VaultInitResult {
  exitCode: ExitCode
  /** A stable code: the controller's `VC_…` for refusals, else one of vault-init's own. */
  code: string
  /** One line for `vault-init: <code>: <message>`; never a token. */
  message: string
  /** A loud multi-line explanation for stderr (security failures). */
  report?: string
}

const VAULT_CALL_TIMEOUT_MS = 10_000
const DEFAULT_ANSWER_GRACE_MS = 5_000

/** Runs vault-init to its end; never throws. */
export async function runVaultInit(
  config: VaultInitConfig,
  deps: VaultInitDeps = {},
): Promise<VaultInitResult> {
  const logger = deps.logger ?? silentLogger
  try {
    return await run(config, deps, logger)
  } catch (error) {
    logger.error('unexpected failure', { error })
    return { exitCode: exitCodes.LOCAL_FAILURE, code: 'VI_INTERNAL', message: 'unexpected internal error' }
  }
}

async function run(config: VaultInitConfig, deps: VaultInitDeps, logger: Logger): Promise<VaultInitResult> {
  const clock = deps.clock ?? { now: () => Date.now() }
  const startedMs = clock.now()
  const deadlineMs = startedMs + config.deadlineMs

  // Everything that can be checked before talking to anyone.
  const identity = await readIdentityToken(config.saTokenFile)
  if (!identity.ok) return { exitCode: exitCodes.CONFIG, code: 'CONFIG_INVALID', message: identity.error }
  const pod: PodIdentity = {
    namespace: config.podNamespace,
    name: config.podName,
    ...(identity.podUid === undefined ? {} : { uid: identity.podUid }),
  }
  if (pod.uid === undefined) logger.warn('service-account token has no pod UID claim; UID not checked')
  const cas: { vault?: string; controller?: string } = {}
  for (const [key, file, name] of [
    ['vault', config.vaultCaFile, 'VAULT_CACERT'],
    ['controller', config.controllerCaFile, 'VAULT_CONTROLLER_CACERT'],
  ] as const) {
    if (file === undefined) continue
    try {
      cas[key] = await readFile(file, 'utf8')
    } catch (error) {
      return {
        exitCode: exitCodes.CONFIG,
        code: 'CONFIG_INVALID',
        message: `${name}: cannot read ${file}: ${errno(error)}`,
      }
    }
    if (!cas[key].includes('-----BEGIN CERTIFICATE-----')) {
      return {
        exitCode: exitCodes.CONFIG,
        code: 'CONFIG_INVALID',
        message: `${name}: ${file} holds no PEM certificate`,
      }
    }
  }

  const existing = await inspectTokenFiles(config.outputDir, pod)
  if (existing.state === 'present') {
    const done = await keepOrDiscardExisting(config, deps, logger, existing, cas.vault)
    if (done !== undefined) return done
  }
  if (existing.state === 'foreign') {
    const message = `${config.outputDir}: ${existing.reason}; refusing to overwrite (is the volume shared or reused?)`
    logger.error('foreign token files in the output directory', {
      outputDir: config.outputDir,
      reason: existing.reason,
    })
    return { exitCode: exitCodes.FOREIGN_FILES, code: 'FOREIGN_TOKEN_FILES', message }
  }
  try {
    await access(config.outputDir, constants.W_OK)
  } catch (error) {
    const message = `output directory ${config.outputDir} is not writable: ${errno(error)}`
    return { exitCode: exitCodes.LOCAL_FAILURE, code: 'LOCAL_FAILURE', message }
  }

  const session = new Session(config, deps, logger, pod, clock, deadlineMs, cas)
  try {
    return await session.run()
  } finally {
    await session.close()
  }
}

/**
 * Token files from an earlier run of this init container (it restarted): keep them and exit 0,
 * unless Vault refuses their token (the controller revoked it after a failed delivery), in which
 * case they are removed and the run asks again. Returns undefined to go on asking.
 */
async function keepOrDiscardExisting(
  config: VaultInitConfig,
  deps: VaultInitDeps,
  logger: Logger,
  existing: Extract<ExistingTokenFiles, { state: 'present' }>,
  vaultCa: string | undefined,
): Promise<VaultInitResult | undefined> {
  const transport = (deps.createTransport ?? createHttpTransport)(vaultCa)
  let liveness: TokenLiveness
  try {
    liveness = await lookupSelf(existing.clientToken, {
      vaultAddr: config.vaultAddr,
      transport,
      timeoutMs: VAULT_CALL_TIMEOUT_MS,
    })
  } finally {
    transport.close()
  }
  if (liveness.kind === 'invalid') {
    await removeTokenFiles(config.outputDir)
    logger.warn(
      'token files from an earlier run hold a token Vault refuses (revoked); removed, asking again',
      {
        tokenAccessor: existing.tokenAccessor,
      },
    )
    return undefined
  }
  if (!existing.tokenFileMatches) {
    await restoreTokenFile(config.outputDir, existing.clientToken, config.fileMode)
    logger.warn('token file was missing or changed; restored it from secret.json')
  }
  logger.info('token files for this pod already present; nothing to do', {
    tokenAccessor: existing.tokenAccessor,
    ...(liveness.kind === 'unknown' ? { tokenNotChecked: liveness.reason } : {}),
  })
  return { exitCode: exitCodes.OK, code: 'OK', message: 'token files already present for this pod' }
}

/** The state of one run once it talks to the network. */
class Session {
  readonly #config: VaultInitConfig
  readonly #deps: VaultInitDeps
  readonly #logger: Logger
  readonly #pod: PodIdentity
  readonly #clock: { now(): number }
  readonly #deadlineMs: number
  readonly #vault: HttpTransport
  readonly #controller: HttpTransport
  readonly #gate = new SingleDelivery()
  readonly #stop = new AbortController()
  readonly #timers: NodeJS.Timeout[] = []
  /** Wrapping accessors whose unwrap may have reached Vault without an answer. */
  readonly #ambiguousUnwraps = new Set<string>()
  #server: CallbackServer | undefined
  /** The client token written to the files (for a liveness check if the controller then reports an error). */
  #written: Secret | undefined
  /** Succeeds the run if the controller's answer to a callback delivery never comes. */
  #answerGrace: NodeJS.Timeout | undefined
  #result: VaultInitResult | undefined
  #settle: (result: VaultInitResult) => void = () => {}
  #lastError = 'no answer yet'

  constructor(
    config: VaultInitConfig,
    deps: VaultInitDeps,
    logger: Logger,
    pod: PodIdentity,
    clock: { now(): number },
    deadlineMs: number,
    cas: { vault?: string; controller?: string },
  ) {
    this.#config = config
    this.#deps = deps
    this.#logger = logger
    this.#pod = pod
    this.#clock = clock
    this.#deadlineMs = deadlineMs
    const createTransport = deps.createTransport ?? createHttpTransport
    this.#vault = createTransport(cas.vault)
    this.#controller = createTransport(cas.controller)
  }

  async run(): Promise<VaultInitResult> {
    const settled = new Promise<VaultInitResult>((resolve) => {
      this.#settle = resolve
    })
    const certificate = createCallbackCertificate({ commonName: `vault-init.${this.#pod.name}`.slice(0, 64) })
    try {
      this.#server = await startCallbackServer({
        host: this.#config.listenAddress,
        port: this.#config.callbackPort,
        certificate,
        gate: this.#gate,
        logger: this.#logger,
        onDelivery: (delivery) => this.#receive(delivery.wrapInfo, delivery.requestId, 'callback'),
      })
    } catch (error) {
      const message = `cannot listen on ${this.#config.listenAddress}:${this.#config.callbackPort}: ${errno(error)}`
      return { exitCode: exitCodes.LOCAL_FAILURE, code: 'LOCAL_FAILURE', message }
    }
    this.#deps.onListening?.({ port: this.#server.port, certSha256: certificate.certSha256 })

    const signal = this.#deps.signal
    const onAbort = () => this.#interrupted(signal?.reason)
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    this.#timers.push(
      setTimeout(() => this.#deadlinePassed(), Math.max(0, this.#deadlineMs - this.#clock.now())),
    )

    const request: TokenRequest = {
      namespace: this.#pod.namespace,
      name: this.#pod.name,
      callback: { port: this.#server.port, certSha256: certificate.certSha256 },
    }
    void this.#askController(request).catch((error: unknown) => {
      this.#logger.error('request loop failed', { error })
      this.#finish({
        exitCode: exitCodes.LOCAL_FAILURE,
        code: 'VI_INTERNAL',
        message: 'unexpected internal error',
      })
    })
    const result = await settled
    signal?.removeEventListener('abort', onAbort)
    return result
  }

  async close(): Promise<void> {
    this.#stop.abort()
    for (const timer of this.#timers) clearTimeout(timer)
    await this.#server?.close()
    this.#vault.close()
    this.#controller.close()
  }

  /** Settles the run once; later outcomes are ignored. */
  #finish(result: VaultInitResult): void {
    if (this.#result !== undefined) return
    this.#result = result
    this.#stop.abort()
    this.#settle(result)
  }

  #succeed(message: string): void {
    this.#finish({ exitCode: exitCodes.OK, code: 'OK', message })
  }

  #interrupted(reason: unknown): void {
    const sigint = reason === 'SIGINT'
    this.#logger.warn('interrupted; exiting without success', { signal: sigint ? 'SIGINT' : 'SIGTERM' })
    this.#finish({
      exitCode: sigint ? exitCodes.SIGINT : exitCodes.SIGTERM,
      code: 'INTERRUPTED',
      message: `interrupted by ${sigint ? 'SIGINT' : 'SIGTERM'} before the token was in place`,
    })
  }

  #deadlinePassed(): void {
    if (this.#gate.accepted) {
      this.#succeed('token written; the controller did not confirm before the deadline')
      return
    }
    this.#finish({
      exitCode: exitCodes.DEADLINE,
      code: 'DEADLINE_EXCEEDED',
      message: `no token after ${Math.round(this.#config.deadlineMs / 1000)}s; last error: ${this.#lastError}`,
    })
  }

  /** The retry loop around `POST /v1/token`. */
  async #askController(request: TokenRequest): Promise<void> {
    const sleep = this.#deps.sleep ?? abortableSleep
    const random = this.#deps.random ?? Math.random
    for (let retry = 0; !this.#stop.signal.aborted; ) {
      const remainingMs = this.#deadlineMs - this.#clock.now()
      if (remainingMs <= 0) {
        this.#deadlinePassed()
        return
      }
      const identity = await readIdentityToken(this.#config.saTokenFile)
      let attempt: TokenAttempt
      if (identity.ok) {
        this.#logger.info('requesting token from the controller', { attempt: retry + 1 })
        attempt = await requestToken({
          controllerAddr: this.#config.controllerAddr,
          transport: this.#controller,
          identityToken: identity.token,
          request,
          nowMs: this.#clock.now(),
          timeoutMs: Math.min(this.#config.requestTimeoutMs, remainingMs),
          signal: this.#stop.signal,
        })
      } else {
        attempt = { kind: 'network', message: identity.error }
      }
      if (this.#stop.signal.aborted) return
      const next = await this.#onAttempt(attempt)
      if (next === undefined) return
      const waitMs = next === 'backoff' ? backoffDelayMs(retry, random) : next
      retry++
      const cappedMs = Math.min(waitMs, Math.max(0, this.#deadlineMs - this.#clock.now()))
      this.#logger.info('will retry', { inMs: cappedMs, lastError: this.#lastError })
      await sleep(cappedMs, this.#stop.signal)
    }
  }

  /** Acts on one attempt; returns how to wait before the next, or undefined when the run is over. */
  async #onAttempt(attempt: TokenAttempt): Promise<number | 'backoff' | undefined> {
    if (attempt.kind === 'answered') return this.#onAnswer(attempt.response)
    // An error or no answer at all.
    if (this.#gate.accepted) return this.#recheckWrittenToken(attempt)
    if (attempt.kind === 'network') {
      this.#lastError = attempt.message
      this.#logger.warn('controller unreachable', { error: attempt.message })
      return 'backoff'
    }
    this.#lastError = `${attempt.code}: ${attempt.message}`
    if (!attempt.retryable) {
      this.#logger.error('controller refused', {
        status: attempt.status,
        code: attempt.code,
        message: attempt.message,
      })
      this.#finish({ exitCode: exitCodes.REFUSED, code: attempt.code, message: attempt.message })
      return undefined
    }
    this.#logger.warn('controller asks to retry', {
      status: attempt.status,
      code: attempt.code,
      message: attempt.message,
    })
    return attempt.retryAfterMs ?? 'backoff'
  }

  /**
   * The token is written, yet the controller answered with an error: it may have given up on the
   * delivery (its callback timed out while we were unwrapping) and revoked the token. A revoked
   * token must not be left for the app: check it, and if Vault refuses it, remove the files and
   * ask again (the controller marked the issuance failed, so a new request is allowed).
   */
  async #recheckWrittenToken(
    attempt: Exclude<TokenAttempt, { kind: 'answered' }>,
  ): Promise<'backoff' | undefined> {
    const error = attempt.kind === 'refused' ? attempt.code : attempt.message
    const liveness =
      this.#written === undefined
        ? ({ kind: 'unknown', reason: 'no token in memory' } as const)
        : await lookupSelf(this.#written, {
            vaultAddr: this.#config.vaultAddr,
            transport: this.#vault,
            timeoutMs: VAULT_CALL_TIMEOUT_MS,
          })
    if (liveness.kind !== 'invalid') {
      this.#logger.warn('token written, but the controller answered with an error', {
        error,
        token: liveness.kind === 'alive' ? 'alive' : `not checked: ${liveness.reason}`,
      })
      this.#succeed('token written; the controller answered with an error afterwards')
      return undefined
    }
    clearTimeout(this.#answerGrace)
    try {
      await removeTokenFiles(this.#config.outputDir)
    } catch (removeError) {
      const message = `the written token was revoked and its files cannot be removed: ${errno(removeError)}`
      this.#finish({ exitCode: exitCodes.LOCAL_FAILURE, code: 'VI_WRITE_FAILED', message })
      return undefined
    }
    this.#written = undefined
    this.#gate.reopen()
    this.#lastError = `the controller revoked the delivered token (${error})`
    this.#logger.warn(
      'the controller revoked the token it delivered (its answer came too late); files removed, asking again',
      {
        error,
      },
    )
    return 'backoff'
  }

  /** A 200 from the controller: delivered by callback, or the wrapped token in the answer. */
  async #onAnswer(response: TokenResponse): Promise<'backoff' | undefined> {
    if (response.status === 'delivered') {
      const { tokenAccessor, requestId } = response
      if (this.#gate.accepted) {
        this.#logger.info('controller confirmed delivery', { requestId, tokenAccessor })
        this.#succeed('token written')
        return undefined
      }
      // The controller pushed a token somewhere, and it was not here.
      this.#finish({
        exitCode: exitCodes.SECURITY,
        code: 'SECURITY_DELIVERED_ELSEWHERE',
        message: `controller reports token ${tokenAccessor} delivered, but no delivery reached this process`,
        report: securityReport([
          `The controller (request ${requestId}) reports that it delivered token accessor ${tokenAccessor}`,
          'to this pod, but no delivery reached this vault-init. Another process may hold the token.',
          `Revoke it now: vault token revoke -accessor ${tokenAccessor}`,
          'and check the controller audit log and Vault audit log for that accessor.',
        ]),
      })
      return undefined
    }
    const { wrapInfo, requestId } = response
    if (!this.#gate.tryBegin()) {
      if (this.#gate.accepted) this.#succeed('token written')
      this.#lastError = 'a delivery was being processed when the wrapped answer came'
      return this.#gate.accepted ? undefined : 'backoff'
    }
    let accepted = false
    try {
      accepted = (await this.#receive(wrapInfo, requestId, 'response')).status === 'accepted'
    } finally {
      this.#gate.finish(accepted)
    }
    if (accepted) {
      this.#succeed('token written')
      return undefined
    }
    return this.#result === undefined ? 'backoff' : undefined
  }

  /** Unwraps, checks and writes one wrapped token (from the callback or the answer). */
  async #receive(
    wrapInfo: WrapInfo,
    requestId: string,
    via: 'callback' | 'response',
  ): Promise<DeliveryAnswer> {
    const log = {
      via,
      requestId,
      wrappingAccessor: wrapInfo.accessor,
      wrappedAccessor: wrapInfo.wrappedAccessor,
    }
    if (this.#result !== undefined) return refuse('VI_INTERNAL', 'vault-init is shutting down')
    const vaultOptions = {
      vaultAddr: this.#config.vaultAddr,
      transport: this.#vault,
      timeoutMs: VAULT_CALL_TIMEOUT_MS,
    }
    this.#logger.info('unwrapping', log)
    const unwrapped = await unwrap(new Secret(wrapInfo.token), vaultOptions)
    if (unwrapped.kind === 'rejected') {
      const ownAttempt = this.#ambiguousUnwraps.has(wrapInfo.accessor)
      this.#logger.error('SECURITY: Vault refused the wrapping token: possible interception', {
        ...log,
        ownAttempt,
      })
      const report = securityReport([
        `Vault refused the wrapping token delivered for pod ${this.#pod.namespace}/${this.#pod.name}:`,
        '"wrapping token is not valid or does not exist". It was already unwrapped, has expired, or never existed.',
        ownAttempt
          ? 'An earlier unwrap attempt by this vault-init got no answer and may have used it; still, verify.'
          : 'vault-init did not unwrap it: SOMEONE ELSE MAY HAVE. Treat this as a possible interception.',
        `Check Vault's audit log for the wrapping token accessor ${wrapInfo.accessor} (sys/wrapping/unwrap)`,
        `and for the wrapped token accessor ${wrapInfo.wrappedAccessor}; if that token is live, revoke it:`,
        `  vault token revoke -accessor ${wrapInfo.wrappedAccessor}`,
        'No token file was written.',
      ])
      const message = `Vault refused the wrapping token (accessor ${wrapInfo.accessor}): possible interception`
      this.#finish({ exitCode: exitCodes.SECURITY, code: 'VI_WRAPPING_TOKEN_REJECTED', message, report })
      return refuse('VI_WRAPPING_TOKEN_REJECTED', 'Vault refused the wrapping token: possible interception')
    }
    if (unwrapped.kind === 'unavailable') {
      this.#lastError = unwrapped.reason
      this.#logger.warn('Vault unavailable; the wrapping token is unused', {
        ...log,
        error: unwrapped.reason,
      })
      return refuse(
        'VI_VAULT_UNAVAILABLE',
        'vault-init could not reach Vault; the wrapping token is still unused',
      )
    }
    if (unwrapped.kind === 'failed') {
      this.#ambiguousUnwraps.add(wrapInfo.accessor)
      this.#lastError = unwrapped.reason
      this.#logger.error('unwrap failed', { ...log, error: unwrapped.reason })
      return refuse('VI_INTERNAL', `unwrap failed: ${unwrapped.reason}`)
    }
    const auth = unwrapped.auth
    if (auth === undefined) {
      this.#lastError = 'the wrapped response holds no token'
      this.#logger.error('SECURITY: the wrapped response holds no token; nothing written', log)
      return refuse('VI_UNEXPECTED_TOKEN', 'the wrapped response holds no token')
    }
    const mismatches = podMismatches(auth.metadata, this.#pod)
    if (auth.accessor !== wrapInfo.wrappedAccessor) mismatches.push('accessor')
    if (mismatches.length > 0) {
      const revokeError = await revokeSelf(auth.clientToken, vaultOptions)
      this.#lastError = `unwrapped a token not minted for this pod (${mismatches.join(', ')} differ)`
      this.#logger.error('SECURITY: unwrapped a token that is not for this pod; not written', {
        ...log,
        tokenAccessor: auth.accessor,
        mismatched: mismatches,
        revoked: revokeError === undefined,
        ...(revokeError === undefined ? {} : { revokeError }),
      })
      return refuse(
        'VI_UNEXPECTED_TOKEN',
        `the token was not minted for this pod (${mismatches.join(', ')} differ)`,
      )
    }
    try {
      await writeTokenFiles(
        this.#config.outputDir,
        { clientToken: auth.clientToken, unwrappedBody: unwrapped.body },
        this.#config.fileMode,
      )
    } catch (error) {
      const revokeError = await revokeSelf(auth.clientToken, vaultOptions)
      const message = `cannot write the token files in ${this.#config.outputDir}: ${errno(error)}`
      this.#logger.error('writing token files failed; token revoked', {
        ...log,
        tokenAccessor: auth.accessor,
        error: errno(error),
        revoked: revokeError === undefined,
      })
      this.#finish({ exitCode: exitCodes.LOCAL_FAILURE, code: 'VI_WRITE_FAILED', message })
      return refuse('VI_WRITE_FAILED', 'unwrapped, but the token files could not be written')
    }
    this.#logger.info('token written', {
      ...log,
      tokenAccessor: auth.accessor,
      outputDir: this.#config.outputDir,
    })
    this.#written = auth.clientToken
    if (via === 'callback') {
      // The controller answers once it has our 200; if that answer is lost, the token is still in place.
      this.#answerGrace = setTimeout(
        () => this.#succeed("token written; the controller's answer did not arrive"),
        this.#deps.answerGraceMs ?? DEFAULT_ANSWER_GRACE_MS,
      )
      this.#timers.push(this.#answerGrace)
    }
    return { status: 'accepted', tokenAccessor: wrapInfo.wrappedAccessor }
  }
}

function refuse(
  code: Extract<DeliveryAnswer, { status: 'refused' }>['code'],
  message: string,
): DeliveryAnswer {
  return { status: 'refused', code, message }
}

/** The projected token (fresh on each call: the kubelet rotates it) and its pod UID claim. */
async function readIdentityToken(
  file: string,
): Promise<{ ok: true; token: Secret; podUid: string | undefined } | { ok: false; error: string }> {
  let text: string
  try {
    text = (await readFile(file, 'utf8')).trim()
  } catch (error) {
    return { ok: false, error: `VAULT_INIT_SA_TOKEN_FILE: cannot read ${file}: ${errno(error)}` }
  }
  if (text === '') return { ok: false, error: `VAULT_INIT_SA_TOKEN_FILE: ${file} is empty` }
  return { ok: true, token: new Secret(text), podUid: podUidFromServiceAccountToken(text) }
}

function securityReport(lines: string[]): string {
  const bar = '!'.repeat(78)
  return [bar, '!! vault-init SECURITY ALERT', ...lines.map((line) => `!! ${line}`), bar, ''].join('\n')
}
