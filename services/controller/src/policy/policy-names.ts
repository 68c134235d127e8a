/**
 * @module
 * Reads the `vaultproject.io/policies` annotation the way Vault reads a policy list, and decides which
 * names we are willing to pass on at all.
 *
 * Vault sanitises every policy list the same way (specs/vault-http-api.md §3.4): split (here: on
 * commas), trim, lowercase, drop empty names, remove duplicates, sort. We do exactly that first, so
 * that what the allow-list judges is what Vault would see, and then send Vault our normalised list,
 * never the raw annotation.
 *
 * Names Vault treats specially:
 * - `root` (any spelling, e.g. ` ROOT `): never grantable, whatever the allow-list says. Vault
 *   collapses a list containing `root` to `["root"]`; we refuse it outright with its own reason.
 * - `response-wrapping`: Vault's internal policy for wrapping tokens; it cannot be assigned.
 * - `default`: attached by Vault to every role token anyway; asking for it is allowed and it is not
 *   checked against the allow-list.
 *
 * Vault itself puts almost no limit on the characters of a policy name. We are conservative and accept
 * only lowercase ASCII letters, digits, `_`, `-`, `.` and `/` (the last for names like `team/app`),
 * starting and ending with a letter, digit or `_`, at most 128 characters, at most 64 names per pod.
 * Anything else (spaces inside a name, quotes, `*`, non-ASCII that lowercasing might fold into ASCII
 * differently in Go and in JavaScript) is an invalid annotation.
 */

import { POLICIES_ANNOTATION } from '@vault-controller/protocol'

// The annotation keys are part of the wire vocabulary shared with vault-init and the docs.
export { POLICIES_ANNOTATION, TTL_ANNOTATION } from '@vault-controller/protocol'

/** The policy that is never grantable. */
export const ROOT_POLICY = 'root'
/** The policy Vault attaches to role tokens by itself; not counted against the allow-list. */
export const DEFAULT_POLICY = 'default'
/** Vault's policy for wrapping tokens; Vault refuses to assign it. */
export const RESPONSE_WRAPPING_POLICY = 'response-wrapping'

export const MAX_POLICY_NAME_LENGTH = 128
export const MAX_REQUESTED_POLICIES = 64

const POLICY_NAME = /^[a-z0-9_](?:[a-z0-9_./-]*[a-z0-9_])?$/

/** The outcome of reading the policies annotation. Messages are safe to show the caller. */
export type PolicyListReading =
  | { ok: true; policies: readonly string[] }
  | { ok: false; problem: 'root' | 'not-assignable' | 'invalid'; message: string }

/**
 * Vault's sanitising of a policy list: trim, lowercase, drop empty names, dedupe, sort ascending
 * (by UTF-16 code units, which equals Go's byte order for the ASCII names we accept).
 */
export function normalisePolicyNames(names: readonly string[]): string[] {
  const kept = new Set<string>()
  for (const name of names) {
    const normalised = name.trim().toLowerCase()
    if (normalised !== '') kept.add(normalised)
  }
  return [...kept].sort()
}

/** `true` when the normalised name is acceptable to pass to Vault (see the module doc). */
export function isAcceptablePolicyName(name: string): boolean {
  return name.length <= MAX_POLICY_NAME_LENGTH && POLICY_NAME.test(name)
}

/**
 * Reads the `vaultproject.io/policies` annotation. Checks in this order: missing; `root` (so an
 * attempt at root is always reported as such, whatever else is wrong); empty after normalisation;
 * count and characters; `response-wrapping`.
 */
export function readPoliciesAnnotation(value: string | undefined): PolicyListReading {
  if (value === undefined) {
    return { ok: false, problem: 'invalid', message: `annotation ${POLICIES_ANNOTATION} is missing` }
  }
  const policies = normalisePolicyNames(value.split(','))
  if (policies.includes(ROOT_POLICY)) {
    return { ok: false, problem: 'root', message: 'policy "root" is never granted' }
  }
  if (policies.length === 0) {
    return {
      ok: false,
      problem: 'invalid',
      message: `annotation ${POLICIES_ANNOTATION} names no policy (expected e.g. "web,db-read")`,
    }
  }
  if (policies.length > MAX_REQUESTED_POLICIES) {
    return {
      ok: false,
      problem: 'invalid',
      message: `annotation ${POLICIES_ANNOTATION} names ${policies.length} policies; at most ${MAX_REQUESTED_POLICIES} are accepted`,
    }
  }
  const unacceptable = policies.filter((name) => !isAcceptablePolicyName(name))
  if (unacceptable.length > 0) {
    return {
      ok: false,
      problem: 'invalid',
      message:
        `annotation ${POLICIES_ANNOTATION}: invalid policy ${unacceptable.length === 1 ? 'name' : 'names'} ` +
        `${listForMessage(unacceptable)} (allowed: lowercase letters, digits, "_", "-", ".", "/"; ` +
        `at most ${MAX_POLICY_NAME_LENGTH} characters)`,
    }
  }
  if (policies.includes(RESPONSE_WRAPPING_POLICY)) {
    return {
      ok: false,
      problem: 'not-assignable',
      message: 'policy "response-wrapping" cannot be granted: Vault reserves it for wrapping tokens',
    }
  }
  return { ok: true, policies }
}

/** Quotes caller-supplied names for a message, shortened so a huge annotation cannot flood logs. */
function listForMessage(names: readonly string[]): string {
  const shown = names
    .slice(0, 5)
    .map((name) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name))
  return names.length > shown.length
    ? `${shown.join(', ')} and ${names.length - shown.length} more`
    : shown.join(', ')
}
