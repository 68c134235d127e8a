/**
 * @module
 * The use case behind `POST /v1/token`: verified identity → live pod checks → allow-list →
 * claim the pod → mint a wrapped token → deliver it → record it. And the failure paths, which
 * keep two promises whatever happens: nothing is minted for a refused request, and a minted
 * token is either delivered or revoked (or, if Vault cannot revoke it, its accessor stays on the
 * pod so the next claim or the pod's deletion revokes it).
 *
 * One token per pod UID, across replicas and restarts, without a database: the pod carries the
 * issuance record (annotation) and the revocation finalizer, and every write is a merge patch
 * conditioned on the resourceVersion just read. Of two requests deciding on the same state exactly
 * one claim wins; the other gets 409 Conflict, re-reads and decides again (`decideClaim`).
 *
 * Order of a request:
 * 1. the identity names the requested pod (namespace, name);
 * 2. read the pod: UID, service account, not terminating, not hostNetwork, has an IP, initialising;
 * 3. the allow-list decides policies and period;
 * 4. `decideClaim` on the pod's record; accessors of a failed or abandoned earlier issuance are
 *    revoked first; then the claim (in-progress record with an expiry, finalizer);
 * 5. mint through the token role, wrapped; record the accessors (still in progress) BEFORE
 *    delivering, so a crash leaves something to revoke;
 * 6. deliver (pinned callback, or the response body); on failure revoke and mark `failed`;
 * 7. mark `issued`, emit the Event, write the audit line.
 *
 * The legacy protocol (`legacy/`, off by default) runs the same pipeline through
 * {@link acceptLegacyRequest}: no identity (the pod is named, not proven, so step 1 is skipped and
 * step 2 checks only the pod's state), the answer (202) leaves after step 5, and step 6 is the
 * original plain-HTTP push, run in the background; its failure revokes and marks `failed` as in v1.
 */
import {
  type DeliveryErrorCode,
  decideClaim,
  type ErrorCode,
  eventReasons,
  type IssuanceRecord,
  isRetryable,
  issuancePatch,
  readIssuance,
  type TokenDelivered,
  type TokenRequest,
  type WrapInfo,
} from '@vault-controller/protocol'
import type { AuditEvent, AuditLog } from '../audit/audit-log.ts'
import type { DeliveryMode } from '../config.ts'
import { type CallbackDelivery, DeliveryError } from '../delivery/callback.ts'
import { BrokerError } from '../errors.ts'
import type { PodIdentity } from '../identity/pod-identity.ts'
import type { KubeClient, PodEvent } from '../kube/kube-client.ts'
import { ResourceConflictError } from '../kube/kube-errors.ts'
import type { PodView } from '../kube/pod-view.ts'
import type { IssuanceStage, Metrics } from '../metrics/metrics.ts'
import { type Allowed, type AllowList, decide } from '../policy/index.ts'
import { revokePodAccessor } from '../revocation/revoke-pod-accessor.ts'
import type { Secret } from '../secret.ts'
import type { VaultClient, WrappedToken } from '../vault/vault-client.ts'
import { denialCodes } from './denial-codes.ts'
import { checkPod, checkPodState } from './pod-checks.ts'

/** Conflicts tolerated before answering "try again" (each one means the pod changed under us). */
export const MAX_WRITE_ATTEMPTS = 5

/** The part of a logger the use case needs (pino's, Fastify's). */
export interface IssuanceLogger {
  info(object: object, message: string): void
  warn(object: object, message: string): void
  error(object: object, message: string): void
}

export interface IssuanceDeps {
  kube: Pick<KubeClient, 'readPod' | 'mergePatchPod' | 'createPodEvent'>
  vault: Pick<VaultClient, 'createWrappedToken' | 'revokeAccessor' | 'lookupAccessor'>
  deliver: (delivery: CallbackDelivery) => Promise<{ tokenAccessor: string }>
  /** The allow-list in force (it may be reloaded between requests). */
  allowList: () => AllowList
  audit: AuditLog
  metrics: Metrics
  clock: { now(): number }
  log: IssuanceLogger
  settings: {
    controllerId: string
    tokenRole: string
    wrapTtlSeconds: number
    deliveryMode: DeliveryMode
    /** How long a claim holds before another request may take it over (a dead replica's). */
    claimTtlMs: number
    callback: { connectTimeoutMs: number; totalTimeoutMs: number }
  }
}

export interface IssueTokenInput {
  identity: PodIdentity
  request: TokenRequest
  requestId: string
  /** Aborted when the request deadline passes; nothing is minted after that. */
  signal?: AbortSignal
}

/** A legacy-protocol request: nobody proven, a pod named; delivered after the answer. */
export interface LegacyIssueInput {
  protocol: 'legacy'
  namespace: string
  name: string
  requestId: string
  /** Aborted when the request deadline passes; bounds everything before the answer. */
  signal?: AbortSignal
  /** Pushes the wrapped token to the pod; rejects (a `DeliveryError`) when it was not delivered. */
  deliver: (delivery: LegacyDelivery) => Promise<void>
  /** When set, the pod's IP must be this address (the caller's): the one check the protocol allows. */
  callerIp?: string
}

/** What the legacy push needs: the claimed pod as last read, and the wrapped token. */
export interface LegacyDelivery {
  pod: PodView
  requestId: string
  wrapInfo: Omit<WrapInfo, 'token'>
  wrappingToken: Secret
}

/** A legacy request was accepted (minted and recorded): the 202, and the delivery under way. */
export interface LegacyAccepted {
  policies: string[]
  ttlSeconds: number
  wrappingAccessor: string
  tokenAccessor: string
  /** Settles when the delivery is over: delivered and recorded, or failed and revoked. Never rejects. */
  delivery: Promise<'delivered' | 'failed'>
}

/** Response-body mode: the wrapping token travels in the answer, built by the route. */
export interface TokenWrappedResult {
  status: 'wrapped'
  requestId: string
  wrapInfo: Omit<WrapInfo, 'token'>
  wrappingToken: Secret
  policies: string[]
  ttlSeconds: number
}

export type IssueTokenResult = TokenDelivered | TokenWrappedResult

export async function issueToken(deps: IssuanceDeps, input: IssueTokenInput): Promise<IssueTokenResult> {
  const end = deps.metrics.startIssuance()
  try {
    const result = await new Issuance(deps, input).run()
    end('issued', 'OK')
    return result
  } catch (error) {
    const code = error instanceof BrokerError ? error.code : 'VC_INTERNAL'
    end(error instanceof BrokerError && error.statusCode < 500 ? 'denied' : 'failed', code)
    throw error
  }
}

/**
 * The legacy protocol's use of the pipeline: claim, mint and record as v1 does, then resolve (the
 * route answers 202) while the delivery goes on. Refusals and failures before the answer throw a
 * `BrokerError`, as {@link issueToken} does.
 */
export async function acceptLegacyRequest(
  deps: IssuanceDeps,
  input: LegacyIssueInput,
): Promise<LegacyAccepted> {
  return new Issuance(deps, input).runLegacy()
}

/** One request's issuance; holds what it learnt so the failure paths can clean up. */
class Issuance {
  readonly #deps: IssuanceDeps
  readonly #input: IssueTokenInput | LegacyIssueInput
  /** The request's deadline; dropped once a legacy answer has left (its delivery has its own timeouts). */
  #signal: AbortSignal | undefined
  /** The latest view of the pod, once read. */
  #pod: PodView | undefined

  constructor(deps: IssuanceDeps, input: IssueTokenInput | LegacyIssueInput) {
    this.#deps = deps
    this.#input = input
    this.#signal = input.signal
  }

  async runLegacy(): Promise<LegacyAccepted> {
    const input = this.#input
    if (!('protocol' in input)) throw new Error('not a legacy request')
    const decision = await this.#claim()
    const minted = await this.#mint(decision)
    await this.#recordMinted(decision, minted)
    this.#signal = undefined
    const delivery = this.#deliver(decision, minted, () =>
      input.deliver({
        pod: this.#claimedPod(),
        requestId: input.requestId,
        wrapInfo: wrapInfoOf(minted),
        wrappingToken: minted.wrappingToken,
      }),
    ).then(
      () => 'delivered' as const,
      () => 'failed' as const,
    )
    return {
      policies: decision.policies,
      ttlSeconds: decision.ttlSeconds,
      ...mintedAccessors(minted),
      delivery,
    }
  }

  async run(): Promise<IssueTokenResult> {
    const input = this.#input
    if ('protocol' in input) throw new Error('a legacy request runs through runLegacy')
    const { identity, request } = input
    if (identity.namespace !== request.namespace || identity.podName !== request.name) {
      throw await this.#refuse(
        'VC_IDENTITY_MISMATCH',
        'the identity token names another pod than the request',
      )
    }
    const decision = await this.#claim()
    const minted = await this.#mint(decision)
    await this.#recordMinted(decision, minted)
    if (this.#deps.settings.deliveryMode === 'response-body') return this.#answerInBody(decision, minted)
    const { settings } = this.#deps
    return this.#deliver(decision, minted, () =>
      this.#deps.deliver({
        target: {
          podIp: this.#claimedPod().podIp,
          port: request.callback.port,
          certSha256: request.callback.certSha256,
        },
        requestId: input.requestId,
        wrapInfo: wrapInfoOf(minted),
        wrappingToken: minted.wrappingToken,
        connectTimeoutMs: settings.callback.connectTimeoutMs,
        totalTimeoutMs: settings.callback.totalTimeoutMs,
        ...(this.#signal === undefined ? {} : { signal: this.#signal }),
      }),
    )
  }

  /** The pod asked for: named by the request (v1, checked against the identity) or the legacy query. */
  #target(): { namespace: string; name: string } {
    const input = this.#input
    return 'protocol' in input
      ? { namespace: input.namespace, name: input.name }
      : { namespace: input.request.namespace, name: input.request.name }
  }

  /** The proven identity; none in the legacy protocol. */
  #identity(): PodIdentity | undefined {
    const input = this.#input
    return 'protocol' in input ? undefined : input.identity
  }

  /** The service account the allow-list and the token's metadata name: proven (v1) or the pod's own. */
  #serviceAccountOf(pod: PodView | undefined): string | undefined {
    return this.#identity()?.serviceAccount ?? pod?.serviceAccountName
  }

  /** Legacy, when asked: the request must come from the pod's own IP (not a proof: see docs/migration.md). */
  #checkCallerIp(pod: PodView): { code: ErrorCode; message: string } | undefined {
    const input = this.#input
    if (!('protocol' in input) || input.callerIp === undefined) return undefined
    const caller = input.callerIp.startsWith('::ffff:') ? input.callerIp.slice(7) : input.callerIp
    if (caller === pod.podIp) return undefined
    return {
      code: 'VC_IDENTITY_MISMATCH',
      message: `the request comes from ${caller}, not from the pod's IP (legacy caller check)`,
    }
  }

  #isLegacy(): boolean {
    return 'protocol' in this.#input
  }

  /** Steps 2–4, repeated after every conflict: read, check, decide, claim. */
  async #claim(): Promise<Allowed> {
    const { kube, clock, settings } = this.#deps
    const { requestId } = this.#input
    const request = this.#target()
    const identity = this.#identity()
    for (let attempt = 1; ; attempt++) {
      this.#throwIfAborted()
      const pod = await this.#timed('pod_lookup', () => kube.readPod(request.namespace, request.name))
      if (pod === undefined) throw await this.#refuse('VC_POD_NOT_FOUND', 'no such pod')
      this.#pod = pod
      // Legacy: nobody is proven, so only the pod's own state can refuse (and the Event is the pod's).
      const refusal =
        identity === undefined ? (checkPodState(pod) ?? this.#checkCallerIp(pod)) : checkPod(pod, identity)
      if (refusal !== undefined) {
        throw await this.#refuse(refusal.code, refusal.message, {
          event: identity === undefined || pod.uid === identity.podUid,
        })
      }

      const endDecide = this.#deps.metrics.startStage('decide')
      const decision = decide(this.#deps.allowList(), {
        namespace: pod.namespace,
        serviceAccount: identity?.serviceAccount ?? pod.serviceAccountName,
        annotations: pod.annotations,
      })
      endDecide()
      if (!decision.allowed) {
        throw await this.#refuse(denialCodes[decision.reason], decision.message, {
          event: true,
          ...(decision.rule === undefined ? {} : { rule: decision.rule }),
        })
      }

      const claim = decideClaim(readIssuance(pod.annotations), clock.now())
      if (!claim.claim) {
        const message =
          claim.code === 'VC_ALREADY_ISSUED'
            ? 'a token was already issued to this pod'
            : claim.code === 'VC_ISSUANCE_IN_PROGRESS'
              ? 'another request is issuing a token for this pod'
              : `the pod's issuance record is unreadable; an operator must look at it`
        throw await this.#refuse(claim.code, message, { event: claim.code !== 'VC_ISSUANCE_IN_PROGRESS' })
      }
      if (claim.previous !== undefined) await this.#revokePrevious(claim.previous)

      const now = clock.now()
      const record: IssuanceRecord = {
        v: 1,
        state: 'in-progress',
        requestId,
        controller: settings.controllerId,
        at: new Date(now).toISOString(),
        claimExpiresAt: new Date(now + settings.claimTtlMs).toISOString(),
      }
      try {
        this.#pod = await this.#timed('claim', () =>
          kube.mergePatchPod(
            pod.namespace,
            pod.name,
            issuancePatch({ resourceVersion: pod.resourceVersion, finalizers: pod.finalizers, record }),
          ),
        )
        return decision
      } catch (error) {
        if (!(error instanceof ResourceConflictError)) throw this.#failed(error)
        if (attempt >= MAX_WRITE_ATTEMPTS) {
          throw await this.#refuse('VC_ISSUANCE_IN_PROGRESS', 'the pod keeps changing; try again')
        }
      }
    }
  }

  /**
   * An earlier issuance failed or was abandoned; any token it minted must be dead before a new
   * one is minted (one live token per pod). Revoking an unknown accessor is not an error.
   */
  async #revokePrevious(previous: IssuanceRecord): Promise<void> {
    const pod = { namespace: this.#target().namespace, uid: this.#pod?.uid ?? '' }
    for (const accessor of [previous.tokenAccessor, previous.wrappingAccessor]) {
      if (accessor === undefined) continue
      try {
        const outcome = await this.#timed('revoke', () => revokePodAccessor(this.#deps.vault, accessor, pod))
        if (outcome === 'foreign') {
          this.#deps.log.error(
            { accessor, pod: this.#podRef() },
            "SECURITY: the pod's issuance record names a token that was not minted for this pod; not revoked",
          )
        }
      } catch (error) {
        this.#deps.log.error(
          { err: error, accessor, pod: this.#podRef() },
          'cannot revoke the token of an earlier issuance; not issuing a new one',
        )
        throw this.#failed(error)
      }
    }
    if (previous.tokenAccessor !== undefined) {
      this.#audit({
        decision: 'revoked',
        code: previous.state === 'failed' ? previous.reason : 'VC_ISSUANCE_IN_PROGRESS',
        message: `revoked the token of an earlier ${previous.state} issuance (${previous.requestId}) before a new claim`,
        ...accessorsOf(previous),
      })
    }
  }

  async #mint(decision: Allowed): Promise<WrappedToken> {
    const { vault, settings } = this.#deps
    const pod = this.#claimedPod()
    try {
      this.#throwIfAborted()
      return await this.#timed('vault', () =>
        vault.createWrappedToken({
          role: decision.tokenRole ?? settings.tokenRole,
          policies: decision.policies,
          meta: {
            namespace: pod.namespace,
            pod_name: pod.name,
            pod_uid: pod.uid,
            pod_ip: pod.podIp,
            host_ip: pod.hostIp,
            service_account: this.#serviceAccountOf(pod) ?? '',
            node_name: pod.nodeName,
          },
          displayName: `${pod.namespace}-${pod.name}`,
          ...(decision.period.kind === 'per-token' ? { periodSeconds: decision.period.seconds } : {}),
          wrapTtlSeconds: settings.wrapTtlSeconds,
        }),
      )
    } catch (error) {
      const failure = this.#failed(error)
      // Nothing was minted: release the claim so a retry can proceed at once.
      await this.#writeOwnRecordQuietly({ state: 'failed', reason: failure.code })
      this.#audit({ decision: 'failed', code: failure.code, message: failure.message, ...grantOf(decision) })
      throw failure
    }
  }

  /** Accessors on the pod before the token leaves the controller. */
  async #recordMinted(decision: Allowed, minted: WrappedToken): Promise<void> {
    try {
      await this.#writeOwnRecord({ state: 'in-progress', ...mintedAccessors(minted) })
    } catch (error) {
      const failure = this.#failed(error)
      const revoked = await this.#revokeMinted(minted)
      await this.#writeOwnRecordQuietly({ state: 'failed', reason: failure.code, ...mintedAccessors(minted) })
      this.#audit({
        decision: 'failed',
        code: failure.code,
        message: 'the issuance could not be recorded on the pod; the minted token was not delivered',
        revoked,
        ...grantOf(decision),
        ...mintedAccessors(minted),
      })
      throw failure
    }
  }

  async #answerInBody(decision: Allowed, minted: WrappedToken): Promise<TokenWrappedResult> {
    // The answer is the delivery: record `issued` first, as nothing tells us when it arrives.
    try {
      await this.#writeOwnRecord({
        state: 'issued',
        policies: decision.policies,
        ttlSeconds: decision.ttlSeconds,
        ...mintedAccessors(minted),
      })
    } catch (error) {
      const failure = this.#failed(error)
      const revoked = await this.#revokeMinted(minted)
      await this.#writeOwnRecordQuietly({ state: 'failed', reason: failure.code, ...mintedAccessors(minted) })
      this.#audit({
        decision: 'failed',
        code: failure.code,
        message: failure.message,
        revoked,
        ...grantOf(decision),
        ...mintedAccessors(minted),
      })
      throw failure
    }
    await this.#issued(decision, minted)
    return {
      status: 'wrapped',
      requestId: this.#input.requestId,
      wrapInfo: wrapInfoOf(minted),
      wrappingToken: minted.wrappingToken,
      policies: decision.policies,
      ttlSeconds: decision.ttlSeconds,
    }
  }

  async #deliver(
    decision: Allowed,
    minted: WrappedToken,
    send: () => Promise<unknown>,
  ): Promise<TokenDelivered> {
    try {
      await this.#timed('callback', send)
    } catch (error) {
      throw await this.#deliveryFailed(decision, minted, error)
    }
    try {
      await this.#writeOwnRecord({
        state: 'issued',
        policies: decision.policies,
        ttlSeconds: decision.ttlSeconds,
        ...mintedAccessors(minted),
      })
    } catch (error) {
      // The pod has its token; the record still holds the accessors and the finalizer stays, so
      // the token is revoked with the pod. Answering an error would only make it ask again.
      this.#deps.log.error(
        { err: error, pod: this.#podRef(), ...mintedAccessors(minted) },
        'token delivered but the pod record could not be marked issued; it stays in-progress with its accessors',
      )
    }
    await this.#issued(decision, minted)
    return {
      status: 'delivered',
      requestId: this.#input.requestId,
      wrappingAccessor: minted.wrappingAccessor,
      tokenAccessor: minted.tokenAccessor,
      policies: decision.policies,
      ttlSeconds: decision.ttlSeconds,
    }
  }

  async #deliveryFailed(decision: Allowed, minted: WrappedToken, error: unknown): Promise<BrokerError> {
    const deadline = this.#signal?.aborted === true
    const code: ErrorCode = deadline ? 'VC_DEADLINE_EXCEEDED' : 'VC_CALLBACK_FAILED'
    const reason = error instanceof DeliveryError ? error.message : 'delivery failed'
    const vaultInitCode: DeliveryErrorCode | undefined =
      error instanceof DeliveryError ? error.vaultInitCode : undefined
    const revoked = await this.#revokeMinted(minted)
    await this.#writeOwnRecordQuietly({ state: 'failed', reason: code, ...mintedAccessors(minted) })
    this.#audit({
      decision: 'delivery_failed',
      code,
      message: reason,
      revoked,
      ...grantOf(decision),
      ...mintedAccessors(minted),
    })
    await this.#event({
      type: 'Warning',
      reason: eventReasons.deliveryFailed,
      message: `Vault token delivery failed (${reason}); the token was ${revoked ? 'revoked' : 'NOT revoked yet'}; wrapping accessor ${minted.wrappingAccessor}, token accessor ${minted.tokenAccessor}`,
    })
    this.#deps.log.warn(
      { pod: this.#podRef(), code, vaultInitCode, revoked, ...mintedAccessors(minted) },
      `delivery failed: ${reason}`,
    )
    const outcome = revoked ? 'the token was revoked' : 'the token will be revoked before another is issued'
    return new BrokerError(code, `delivery to the pod's callback failed: ${reason}; ${outcome}; ask again`, {
      cause: error,
      retryAfterSeconds: 2,
    })
  }

  /** Revokes both tokens of a failed delivery; false when Vault could not be told (logged loudly). */
  async #revokeMinted(minted: WrappedToken): Promise<boolean> {
    try {
      await this.#timed('revoke', () => this.#deps.vault.revokeAccessor(minted.tokenAccessor))
    } catch (error) {
      this.#deps.log.error(
        { err: error, pod: this.#podRef(), ...mintedAccessors(minted) },
        'MINTED TOKEN NOT REVOKED: Vault refused or failed the revocation; the accessor stays on the pod record for the next claim or the pod deletion to revoke',
      )
      return false
    }
    try {
      // The wrapping token now holds a dead token; revoke it too so it cannot even be unwrapped.
      await this.#deps.vault.revokeAccessor(minted.wrappingAccessor)
    } catch (error) {
      this.#deps.log.warn(
        { err: error, wrappingAccessor: minted.wrappingAccessor },
        'cannot revoke the wrapping token',
      )
    }
    return true
  }

  async #issued(decision: Allowed, minted: WrappedToken): Promise<void> {
    this.#audit({ decision: 'issued', ...grantOf(decision), ...mintedAccessors(minted) })
    await this.#event({
      type: 'Normal',
      reason: eventReasons.issued,
      message: `Vault token issued${this.#isLegacy() ? ' (legacy protocol: caller not authenticated)' : ''} with policies [${decision.policies.join(', ')}], period ${decision.ttlSeconds}s, rule ${decision.rule}; wrapping accessor ${minted.wrappingAccessor}, token accessor ${minted.tokenAccessor}`,
    })
  }

  /**
   * Writes our record on the pod, conditioned on the resourceVersion we last saw. A conflict (the
   * kubelet updated the status, say) means re-read: if the claim is still ours, write again.
   */
  async #writeOwnRecord(fields: RecordFields): Promise<void> {
    const { kube, settings, clock } = this.#deps
    let pod = this.#claimedPod()
    const now = clock.now()
    const common = {
      v: 1 as const,
      requestId: this.#input.requestId,
      controller: settings.controllerId,
      at: new Date(now).toISOString(),
    }
    const record = (
      fields.state === 'in-progress'
        ? { ...common, claimExpiresAt: this.#claimExpiresAt(pod), ...fields }
        : { ...common, ...fields }
    ) as IssuanceRecord
    for (let attempt = 1; ; attempt++) {
      try {
        const current = pod
        this.#pod = await this.#timed('record', () =>
          kube.mergePatchPod(
            current.namespace,
            current.name,
            issuancePatch({
              resourceVersion: current.resourceVersion,
              finalizers: current.finalizers,
              record,
            }),
          ),
        )
        return
      } catch (error) {
        if (!(error instanceof ResourceConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw error
      }
      const fresh = await kube.readPod(pod.namespace, pod.name)
      if (fresh === undefined || fresh.uid !== pod.uid) {
        throw new BrokerError('VC_POD_NOT_FOUND', 'the pod went away during issuance')
      }
      const reading = readIssuance(fresh.annotations)
      if (
        reading.kind !== 'recorded' ||
        reading.record.state !== 'in-progress' ||
        reading.record.requestId !== this.#input.requestId
      ) {
        throw new BrokerError(
          'VC_ISSUANCE_IN_PROGRESS',
          'the claim on the pod was taken over during issuance',
        )
      }
      pod = fresh
      this.#pod = fresh
    }
  }

  async #writeOwnRecordQuietly(fields: RecordFields): Promise<void> {
    try {
      await this.#writeOwnRecord(fields)
    } catch (error) {
      this.#deps.log.error(
        { err: error, pod: this.#podRef(), state: fields.state },
        'cannot update the issuance record on the pod; the claim expires on its own',
      )
    }
  }

  /** Our claim's expiry, as written at claim time. */
  #claimExpiresAt(pod: PodView): string {
    const reading = readIssuance(pod.annotations)
    if (reading.kind === 'recorded' && reading.record.state === 'in-progress')
      return reading.record.claimExpiresAt
    return new Date(this.#deps.clock.now() + this.#deps.settings.claimTtlMs).toISOString()
  }

  #claimedPod(): PodView {
    if (this.#pod === undefined) throw new Error('no pod claimed')
    return this.#pod
  }

  #podRef() {
    const request = this.#target()
    return { namespace: request.namespace, name: request.name, uid: this.#pod?.uid }
  }

  /** A refusal: audited, a warning Event on the pod when asked, and the error to throw. */
  async #refuse(
    code: ErrorCode,
    message: string,
    options: { event?: boolean; rule?: string } = {},
  ): Promise<BrokerError> {
    this.#audit({
      decision: 'denied',
      code,
      message,
      ...(options.rule === undefined ? {} : { rule: options.rule }),
    })
    if (options.event === true && !isRetryable(code)) {
      await this.#event({
        type: 'Warning',
        reason: eventReasons.denied,
        message: `Vault token denied (${code}): ${message}`,
      })
    }
    return new BrokerError(code, message, { retryAfterSeconds: code === 'VC_POD_NOT_READY' ? 1 : 2 })
  }

  /** An unexpected failure (Kubernetes, Vault, a bug) as a BrokerError. */
  #failed(error: unknown): BrokerError {
    if (error instanceof BrokerError) return error
    return this.#signal?.aborted === true
      ? new BrokerError('VC_DEADLINE_EXCEEDED', 'the request deadline passed', { cause: error })
      : new BrokerError('VC_INTERNAL', 'internal error', { cause: error })
  }

  #throwIfAborted(): void {
    if (this.#signal?.aborted === true) {
      throw new BrokerError('VC_DEADLINE_EXCEEDED', 'the request deadline passed')
    }
  }

  async #event(event: PodEvent): Promise<void> {
    const pod = this.#pod
    if (pod === undefined) return
    try {
      await this.#deps.kube.createPodEvent(pod, event)
    } catch (error) {
      this.#deps.log.warn(
        { err: error, pod: this.#podRef(), reason: event.reason },
        'cannot record an Event on the pod',
      )
    }
  }

  #audit(event: Omit<AuditEvent, 'requestId' | 'pod' | 'serviceAccount' | 'deliveryMode'>): void {
    const request = this.#target()
    const serviceAccount = this.#serviceAccountOf(this.#pod)
    this.#deps.audit.record({
      ...event,
      requestId: this.#input.requestId,
      pod: {
        namespace: request.namespace,
        name: request.name,
        ...(this.#pod === undefined ? {} : { uid: this.#pod.uid }),
      },
      ...(serviceAccount === undefined ? {} : { serviceAccount }),
      deliveryMode: this.#isLegacy() ? 'legacy-callback' : this.#deps.settings.deliveryMode,
      ...(this.#isLegacy() ? { protocol: 'legacy' as const } : {}),
    })
  }

  async #timed<T>(stage: IssuanceStage, run: () => Promise<T>): Promise<T> {
    const end = this.#deps.metrics.startStage(stage)
    try {
      return await run()
    } finally {
      end()
    }
  }
}

type RecordFields =
  | { state: 'in-progress'; wrappingAccessor?: string; tokenAccessor?: string }
  | {
      state: 'issued'
      wrappingAccessor: string
      tokenAccessor: string
      policies: string[]
      ttlSeconds: number
    }
  | { state: 'failed'; reason: string; wrappingAccessor?: string; tokenAccessor?: string }

function mintedAccessors(minted: WrappedToken) {
  return { wrappingAccessor: minted.wrappingAccessor, tokenAccessor: minted.tokenAccessor }
}

function accessorsOf(record: IssuanceRecord) {
  return {
    ...(record.wrappingAccessor === undefined ? {} : { wrappingAccessor: record.wrappingAccessor }),
    ...(record.tokenAccessor === undefined ? {} : { tokenAccessor: record.tokenAccessor }),
  }
}

function grantOf(decision: Allowed) {
  return {
    rule: decision.rule,
    policies: decision.policies,
    ttlSeconds: decision.ttlSeconds,
    ...(decision.tokenRole === undefined ? {} : { tokenRole: decision.tokenRole }),
  }
}

function wrapInfoOf(minted: WrappedToken): Omit<WrapInfo, 'token'> {
  return {
    accessor: minted.wrappingAccessor,
    ttlSeconds: minted.wrapTtlSeconds,
    creationTime: minted.creationTime,
    creationPath: minted.creationPath,
    wrappedAccessor: minted.tokenAccessor,
  }
}
