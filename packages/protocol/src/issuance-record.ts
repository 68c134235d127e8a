/**
 * @module
 * The issuance record: what the controller writes on a pod (annotation
 * `vaultproject.io/issuance`) to keep "one token per pod UID" across replicas and restarts
 * without a database. Accessors only, never a token.
 *
 * Life of a record (each write is a merge patch carrying the `resourceVersion` just read, so
 * of two replicas deciding on the same pod state exactly one write wins; the loser re-reads
 * and decides again, see {@link issuancePatch}):
 *
 * ```
 * (none) ─claim─▶ in-progress ─delivered─▶ issued ─pod deleted, revoked─▶ revoked
 *                    │   ▲                                        (finalizer removed)
 *          failed ◀──┘   └──claim again (retry, or a stale claim whose claimExpiresAt passed)
 * ```
 *
 * - `in-progress`: claimed by `controller` for `requestId` until `claimExpiresAt`; once Vault
 *   answers, the controller should record the accessors before delivering, so a crash still
 *   leaves something to revoke.
 * - `issued`: delivered; any further request is refused (`VC_ALREADY_ISSUED`).
 * - `failed`: delivery failed and the minted token was revoked; a new request may claim again.
 * - `revoked`: the pod is going away and its token was revoked.
 *
 * A record that cannot be read is reported as corrupt, never thrown: the controller refuses to
 * issue (`VC_ISSUANCE_RECORD_INVALID`) rather than guess.
 */
import { type Static, Type } from 'typebox'
import { ISSUANCE_ANNOTATION, ISSUANCE_LABEL, ISSUANCE_LABEL_VALUE, REVOKE_FINALIZER } from './annotations.ts'
import { ERROR_CODE_PATTERN, RequestId } from './error-body.ts'
import type { ErrorCode } from './error-codes.ts'
import { GrantedPolicies, TtlSeconds } from './token-request.ts'
import { compileParser, type ParseResult } from './validation.ts'
import { Accessor, Rfc3339Time } from './wrap-info.ts'

/** Format version inside the record; a reader refuses versions it does not know. */
export const ISSUANCE_RECORD_VERSION = 1

/** Annotations larger than this are not parsed (a valid record is well under 1 KiB). */
export const MAX_ISSUANCE_RECORD_LENGTH = 4096

export const ISSUANCE_STATES = ['in-progress', 'issued', 'failed', 'revoked'] as const
export type IssuanceState = (typeof ISSUANCE_STATES)[number]

/** The replica that wrote the record (its pod name). */
const ControllerId = Type.String({ minLength: 1, maxLength: 253, pattern: '^[\\x21-\\x7e]+$' })

const common = {
  v: Type.Literal(ISSUANCE_RECORD_VERSION),
  requestId: RequestId,
  controller: ControllerId,
  /** When this state was written. */
  at: Rfc3339Time,
}

export const IssuanceInProgress = Type.Object({
  ...common,
  state: Type.Literal('in-progress'),
  /** After this instant another request may take the claim over (the holder is presumed dead). */
  claimExpiresAt: Rfc3339Time,
  wrappingAccessor: Type.Optional(Accessor),
  tokenAccessor: Type.Optional(Accessor),
})

export const IssuanceIssued = Type.Object({
  ...common,
  state: Type.Literal('issued'),
  wrappingAccessor: Accessor,
  tokenAccessor: Accessor,
  policies: GrantedPolicies,
  ttlSeconds: TtlSeconds,
})

export const IssuanceFailed = Type.Object({
  ...common,
  state: Type.Literal('failed'),
  /** The error code answered to the request. */
  reason: Type.String({ pattern: ERROR_CODE_PATTERN, maxLength: 64 }),
  wrappingAccessor: Type.Optional(Accessor),
  tokenAccessor: Type.Optional(Accessor),
})

export const IssuanceRevoked = Type.Object({
  ...common,
  state: Type.Literal('revoked'),
  wrappingAccessor: Type.Optional(Accessor),
  tokenAccessor: Type.Optional(Accessor),
})

export type IssuanceInProgress = Static<typeof IssuanceInProgress>
export type IssuanceIssued = Static<typeof IssuanceIssued>
export type IssuanceFailed = Static<typeof IssuanceFailed>
export type IssuanceRevoked = Static<typeof IssuanceRevoked>
export type IssuanceRecord = IssuanceInProgress | IssuanceIssued | IssuanceFailed | IssuanceRevoked

const schemasByState = {
  'in-progress': IssuanceInProgress,
  issued: IssuanceIssued,
  failed: IssuanceFailed,
  revoked: IssuanceRevoked,
} as const satisfies Record<IssuanceState, unknown>

const parsersByState = {
  'in-progress': compileParser(IssuanceInProgress),
  issued: compileParser(IssuanceIssued),
  failed: compileParser(IssuanceFailed),
  revoked: compileParser(IssuanceRevoked),
} as const satisfies Record<IssuanceState, unknown>

/** Validates a record object, with errors for the variant its `state` names. */
export function validateIssuanceRecord(value: unknown): ParseResult<IssuanceRecord> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: ['(root): must be object'] }
  }
  const { state, v } = value as { state?: unknown; v?: unknown }
  if (v !== ISSUANCE_RECORD_VERSION) return { ok: false, errors: [`v: must be ${ISSUANCE_RECORD_VERSION}`] }
  if (typeof state !== 'string' || !Object.hasOwn(parsersByState, state)) {
    return { ok: false, errors: [`state: must be one of ${ISSUANCE_STATES.join(', ')}`] }
  }
  const parsed: ParseResult<IssuanceRecord> = parsersByState[state as IssuanceState](value)
  if (!parsed.ok) return parsed
  const badTimes = ['at', 'claimExpiresAt'].filter((key) => {
    const time = (parsed.value as Record<string, unknown>)[key]
    return typeof time === 'string' && !Number.isFinite(Date.parse(time))
  })
  if (badTimes.length > 0)
    return { ok: false, errors: badTimes.map((key) => `${key}: must be a valid date-time`) }
  return parsed
}

/** Parses the annotation's text. Never throws. */
export function parseIssuanceRecord(text: string): ParseResult<IssuanceRecord> {
  if (text.length > MAX_ISSUANCE_RECORD_LENGTH) {
    return { ok: false, errors: [`(root): longer than ${MAX_ISSUANCE_RECORD_LENGTH} characters`] }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, errors: ['(root): not valid JSON'] }
  }
  return validateIssuanceRecord(value)
}

/**
 * The record as annotation text. Only the fields its state defines are written, so nothing
 * else riding on the object (a token, by mistake) can reach the pod. Throws a TypeError on an
 * invalid record (a bug, not input).
 */
export function serialiseIssuanceRecord(record: IssuanceRecord): string {
  const checked = validateIssuanceRecord(record)
  if (!checked.ok) throw new TypeError(`invalid issuance record: ${checked.errors.join('; ')}`)
  const known = Object.keys(schemasByState[record.state].properties)
  return JSON.stringify(Object.fromEntries(Object.entries(record).filter(([key]) => known.includes(key))))
}

/** What a pod's annotations say about its issuance. */
export type IssuanceReading =
  | { readonly kind: 'absent' }
  | { readonly kind: 'recorded'; readonly record: IssuanceRecord }
  | { readonly kind: 'corrupt'; readonly errors: string[] }

/** Reads the issuance annotation of a pod (`metadata.annotations`). */
export function readIssuance(annotations: Readonly<Record<string, string>> | undefined): IssuanceReading {
  const text = annotations?.[ISSUANCE_ANNOTATION]
  if (text === undefined) return { kind: 'absent' }
  const parsed = parseIssuanceRecord(text)
  return parsed.ok ? { kind: 'recorded', record: parsed.value } : { kind: 'corrupt', errors: parsed.errors }
}

/**
 * Whether a new request may claim the pod. When it may and a previous record exists, the
 * previous record is returned: its accessors (a failed delivery, a dead replica's claim) name
 * tokens that must be revoked if still alive.
 */
export type ClaimDecision =
  | { readonly claim: true; readonly previous?: IssuanceRecord }
  | { readonly claim: false; readonly code: ErrorCode }

/** Decides whether a request arriving at `nowMs` may claim a pod whose annotations read `reading`. */
export function decideClaim(reading: IssuanceReading, nowMs: number): ClaimDecision {
  if (reading.kind === 'absent') return { claim: true }
  if (reading.kind === 'corrupt') return { claim: false, code: 'VC_ISSUANCE_RECORD_INVALID' }
  const { record } = reading
  switch (record.state) {
    case 'in-progress':
      return Date.parse(record.claimExpiresAt) <= nowMs
        ? { claim: true, previous: record }
        : { claim: false, code: 'VC_ISSUANCE_IN_PROGRESS' }
    case 'failed':
      return { claim: true, previous: record }
    case 'issued':
    case 'revoked':
      return { claim: false, code: 'VC_ALREADY_ISSUED' }
  }
}

/** A JSON merge patch (`application/merge-patch+json`) for a pod. */
export type IssuancePatch = {
  metadata: {
    resourceVersion: string
    finalizers: string[]
    annotations: Record<string, string>
    /** `null` removes the label (merge patch). */
    labels: Record<string, string | null>
  }
}

/**
 * The merge patch that writes `record` on a pod, conditional on `resourceVersion` (the API
 * server answers 409 Conflict if the pod changed since it was read). The finalizer and the
 * label {@link ISSUANCE_LABEL} (what the controller's pod watch selects on) are ensured for
 * every state but `revoked`, where both are removed: revocation done, deletion may proceed, and
 * the pod leaves the watch.
 * Merge patches replace lists whole, hence the current `finalizers`; the resourceVersion
 * condition makes that safe against concurrent writers.
 */
export function issuancePatch(input: {
  resourceVersion: string
  finalizers: readonly string[] | undefined
  record: IssuanceRecord
}): IssuancePatch {
  const others = (input.finalizers ?? []).filter((name) => name !== REVOKE_FINALIZER)
  const finalizers = input.record.state === 'revoked' ? others : [...(input.finalizers ?? [])]
  if (input.record.state !== 'revoked' && !finalizers.includes(REVOKE_FINALIZER))
    finalizers.push(REVOKE_FINALIZER)
  return {
    metadata: {
      resourceVersion: input.resourceVersion,
      finalizers,
      annotations: { [ISSUANCE_ANNOTATION]: serialiseIssuanceRecord(input.record) },
      labels: { [ISSUANCE_LABEL]: input.record.state === 'revoked' ? null : ISSUANCE_LABEL_VALUE },
    },
  }
}
