/**
 * @module
 * Revoking one pod's token, the last step of an issuance's life: read the live pod, revoke what
 * its issuance record names by accessor, then — in one merge patch conditioned on the
 * resourceVersion just read — mark the record `revoked` and remove our finalizer and label, so
 * deletion proceeds. Then the audit line and the pod Event. A conflict means re-read and decide
 * again; so of two replicas racing on the same pod exactly one records the revocation (both may
 * have told Vault, which is harmless: revoking an unknown accessor is a 200 with a warning).
 *
 * What each record asks for:
 * - `issued`: the token accessor (the wrapping token was used by the delivery, or expired with
 *   its wrap TTL, and holds a dead token once the token is revoked);
 * - `in-progress` / `failed` with accessors: both (the wrapped token may never have been
 *   unwrapped; revoking a wrapping token does not revoke the token inside it, so the token
 *   accessor comes first). `failed` accessors were usually revoked already: harmless;
 * - `in-progress` without accessors, claim still live: a request may be minting right now, so
 *   wait (retried) until it records its accessors or its claim expires; after that nothing was
 *   minted under it that its holder does not clean up itself;
 * - no record, or `revoked`: nothing to revoke, only the finalizer to remove;
 * - unreadable (`VC_ISSUANCE_RECORD_INVALID`): never guess; retried (an operator may repair the
 *   annotation) until the give-up bound, see {@link giveUpPodRevocation}.
 *
 * This never touches a pod that is not going away ({@link needsRevocation} on the live pod), and
 * never revokes a token that was not minted for the pod ({@link revokePodAccessor}: the record is
 * an annotation, writable by whoever may patch the pod).
 */
import {
  eventReasons,
  ISSUANCE_LABEL,
  type IssuanceRecord,
  type IssuanceRevoked,
  issuancePatch,
  REVOKE_FINALIZER,
  readIssuance,
} from '@vault-controller/protocol'
import type { AuditLog } from '../audit/audit-log.ts'
import { BrokerError } from '../errors.ts'
import type { KubeClient, PodEvent } from '../kube/kube-client.ts'
import { ResourceConflictError } from '../kube/kube-errors.ts'
import type { PodView } from '../kube/pod-view.ts'
import type { VaultClient } from '../vault/vault-client.ts'
import { needsRevocation, revocationCause } from './needs-revocation.ts'
import { revokePodAccessor } from './revoke-pod-accessor.ts'

/** Conflicts tolerated in one attempt before it counts as failed (and is retried later). */
const MAX_WRITE_ATTEMPTS = 5

/** The part of a logger revocation needs (pino's, Fastify's). */
export interface RevocationLogger {
  info(object: object, message: string): void
  warn(object: object, message: string): void
  error(object: object, message: string): void
}

export interface RevocationDeps {
  kube: Pick<KubeClient, 'readPod' | 'mergePatchPod' | 'createPodEvent'>
  vault: Pick<VaultClient, 'revokeAccessor' | 'lookupAccessor'>
  audit: AuditLog
  clock: { now(): number }
  log: RevocationLogger
  /** This replica, written into the `revoked` record. */
  controllerId: string
}

/** The pod a revocation is for: a UID, so a new pod under the same name is never touched. */
export interface PodRef {
  namespace: string
  name: string
  uid: string
}

export type RevocationOutcome =
  /** Revoked what the record named, recorded it, removed the finalizer. */
  | 'revoked'
  /** Nothing was minted (or it was already revoked): only the finalizer was removed. */
  | 'nothing_to_revoke'
  /** The pod is gone, replaced, or another replica already removed the finalizer. */
  | 'gone'
  /** Revocation gave up; the finalizer was removed anyway. */
  | 'gave_up'

/** This attempt cannot finish now but may later (a claim in flight, the pod kept changing). */
export class RevocationPendingError extends Error {
  override readonly name = 'RevocationPendingError'
}

/** The issuance record cannot be read: nothing is revoked on a guess. */
export class IssuanceRecordInvalidError extends Error {
  override readonly name = 'IssuanceRecordInvalidError'
  readonly code = 'VC_ISSUANCE_RECORD_INVALID'
}

/** One attempt at revoking `ref`'s token. Throws when it must be retried. */
export async function revokePodToken(deps: RevocationDeps, ref: PodRef): Promise<RevocationOutcome> {
  const revokedHere = new Set<string>()
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const pod = await deps.kube.readPod(ref.namespace, ref.name)
    if (!stillOurs(pod, ref)) return 'gone'
    const reading = readIssuance(pod.annotations)
    if (reading.kind === 'corrupt') {
      throw new IssuanceRecordInvalidError(
        `the pod's issuance record is unreadable (${reading.errors.join('; ')}); repair or remove the annotation`,
      )
    }
    const record = reading.kind === 'recorded' ? reading.record : undefined
    if (record !== undefined && claimInFlight(record, deps.clock.now())) {
      throw new RevocationPendingError(
        'a token request holds a live claim on the pod and may be minting; waiting until it records or expires',
      )
    }
    const accessors = record === undefined ? [] : accessorsToRevoke(record)
    for (const accessor of accessors) {
      if (revokedHere.has(accessor)) continue
      if ((await revokePodAccessor(deps.vault, accessor, ref)) === 'foreign') {
        deps.log.error(
          { pod: ref, accessor },
          "SECURITY: the pod's issuance record names a token that was not minted for this pod; not revoked",
        )
      }
      revokedHere.add(accessor)
    }
    const revoked =
      record === undefined || record.state === 'revoked' ? undefined : revokedRecord(deps, record)
    const patch =
      revoked === undefined
        ? releasePatch(pod)
        : issuancePatch({ resourceVersion: pod.resourceVersion, finalizers: pod.finalizers, record: revoked })
    try {
      await deps.kube.mergePatchPod(pod.namespace, pod.name, patch)
    } catch (error) {
      if (error instanceof ResourceConflictError) continue
      throw error
    }

    const cause = revocationCause(pod)
    if (record === undefined || accessors.length === 0) {
      deps.log.info(
        { pod: ref, state: record?.state ?? 'none' },
        `no token to revoke (${cause}); finalizer removed`,
      )
      return 'nothing_to_revoke'
    }
    deps.audit.record({
      decision: 'revoked',
      requestId: record.requestId,
      message: `${cause}; revoked by accessor`,
      pod: { ...ref },
      serviceAccount: pod.serviceAccountName,
      ...(record.state === 'issued' ? { policies: record.policies, ttlSeconds: record.ttlSeconds } : {}),
      ...accessorsOf(record),
    })
    await emitEvent(deps, ref, {
      type: 'Normal',
      reason: eventReasons.revoked,
      message: `Vault token revoked (${cause}); ${describeAccessors(record)}`,
    })
    return 'revoked'
  }
  throw new RevocationPendingError('the pod kept changing while its revocation was recorded')
}

/**
 * After the give-up bound: remove our finalizer (and label) without revoking, so the pod's
 * deletion is no longer held, and say so loudly: a `revoke_failed` audit line and a Warning
 * Event naming the accessors, for an operator to revoke by hand. The record is left as it was: it
 * still names the token that may be alive.
 */
export async function giveUpPodRevocation(
  deps: RevocationDeps,
  ref: PodRef,
  failure: { reason: string; code: string; waitedMs: number },
): Promise<RevocationOutcome> {
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const pod = await deps.kube.readPod(ref.namespace, ref.name)
    if (!stillOurs(pod, ref)) return 'gone'
    try {
      await deps.kube.mergePatchPod(pod.namespace, pod.name, releasePatch(pod))
    } catch (error) {
      if (error instanceof ResourceConflictError) continue
      throw error
    }
    const reading = readIssuance(pod.annotations)
    const record = reading.kind === 'recorded' ? reading.record : undefined
    const waited = `${Math.round(failure.waitedMs / 1000)}s`
    const byHand =
      record?.tokenAccessor === undefined
        ? reading.kind === 'corrupt'
          ? 'the record is unreadable, so the token (if any) is unknown: look for tokens whose metadata pod_uid is this pod'
          : 'no token accessor is recorded'
        : `revoke by hand: vault write auth/token/revoke-accessor accessor=${record.tokenAccessor}`
    deps.audit.record({
      decision: 'revoke_failed',
      requestId: record?.requestId ?? `revocation-${ref.uid}`,
      code: failure.code,
      message: `${revocationCause(pod)}; revocation gave up after ${waited} (${failure.reason}); finalizer removed anyway`,
      pod: { ...ref },
      serviceAccount: pod.serviceAccountName,
      ...(record === undefined ? {} : accessorsOf(record)),
    })
    deps.log.error(
      { pod: ref, code: failure.code, ...(record === undefined ? {} : accessorsOf(record)) },
      `TOKEN NOT REVOKED: gave up after ${waited} (${failure.reason}); the finalizer was removed so the pod can go; ${byHand}`,
    )
    await emitEvent(deps, ref, {
      type: 'Warning',
      reason: eventReasons.revocationFailed,
      message: `Vault token NOT revoked: gave up after ${waited} (${failure.reason}); finalizer removed so deletion can proceed; ${byHand}`,
    })
    return 'gave_up'
  }
  throw new RevocationPendingError('the pod kept changing while its finalizer was removed')
}

/** A Warning Event once revocation starts failing (deletion waits; `kubectl describe` says why). */
export async function reportRevocationDelayed(
  deps: RevocationDeps,
  ref: PodRef,
  reason: string,
  giveUpAfterMs: number,
): Promise<void> {
  await emitEvent(deps, ref, {
    type: 'Warning',
    reason: eventReasons.revocationDelayed,
    message: `Vault token revocation failed (${reason}); retrying with backoff; the deletion waits for it at most ${Math.round(giveUpAfterMs / 1000)}s`,
  })
}

/** The live pod is the one we queued, still holds our finalizer, and is going away. */
function stillOurs(pod: PodView | undefined, ref: PodRef): pod is PodView {
  return pod !== undefined && pod.uid === ref.uid && needsRevocation(pod)
}

function claimInFlight(record: IssuanceRecord, nowMs: number): boolean {
  return (
    record.state === 'in-progress' &&
    record.tokenAccessor === undefined &&
    record.wrappingAccessor === undefined &&
    Date.parse(record.claimExpiresAt) > nowMs
  )
}

function accessorsToRevoke(record: IssuanceRecord): string[] {
  if (record.state === 'revoked') return []
  if (record.state === 'issued') return [record.tokenAccessor]
  return [record.tokenAccessor, record.wrappingAccessor].filter((accessor) => accessor !== undefined)
}

function revokedRecord(deps: RevocationDeps, record: IssuanceRecord): IssuanceRevoked {
  return {
    v: 1,
    state: 'revoked',
    requestId: record.requestId,
    controller: deps.controllerId,
    at: new Date(deps.clock.now()).toISOString(),
    ...accessorsOf(record),
  }
}

/** Removes our finalizer and label, nothing else; conditional on the resourceVersion read. */
function releasePatch(pod: PodView): object {
  return {
    metadata: {
      resourceVersion: pod.resourceVersion,
      finalizers: pod.finalizers.filter((name) => name !== REVOKE_FINALIZER),
      labels: { [ISSUANCE_LABEL]: null },
    },
  }
}

function accessorsOf(record: IssuanceRecord) {
  return {
    ...(record.tokenAccessor === undefined ? {} : { tokenAccessor: record.tokenAccessor }),
    ...(record.wrappingAccessor === undefined ? {} : { wrappingAccessor: record.wrappingAccessor }),
  }
}

function describeAccessors(record: IssuanceRecord): string {
  return [
    record.tokenAccessor === undefined ? undefined : `token accessor ${record.tokenAccessor}`,
    record.wrappingAccessor === undefined ? undefined : `wrapping accessor ${record.wrappingAccessor}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ')
}

async function emitEvent(deps: RevocationDeps, ref: PodRef, event: PodEvent): Promise<void> {
  try {
    await deps.kube.createPodEvent(ref, event)
  } catch (error) {
    deps.log.warn({ err: error, pod: ref, reason: event.reason }, 'cannot record an Event on the pod')
  }
}

/** The error code an attempt failed with, for the give-up line. */
export function failureCode(error: unknown): string {
  if (error instanceof BrokerError || error instanceof IssuanceRecordInvalidError) return error.code
  return 'VC_INTERNAL'
}
