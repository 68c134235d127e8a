/**
 * @module
 * The allow-list: the platform team's rules that decide which policies and which TTL a pod's token
 * may get. Pure: no I/O; the caller reads the file and hands its text to `loadAllowList`.
 *
 * @example
 * const allowList = loadAllowList(await readFile(path, 'utf8')) // throws AllowListError
 * const decision = decide(allowList, { namespace, serviceAccount, annotations })
 * if (decision.allowed) {
 *   // POST auth/token/create/<decision.tokenRole ?? configuredRole> with policies: decision.policies,
 *   // and period: formatVaultDuration(decision.period.seconds) only when decision.period.kind === 'per-token'
 * }
 */
export type { Allowed, Decision, DenialReason, Denied, GrantedPeriod, PodRequestFacts } from './decide.ts'
export { DENIAL_REASONS, decide } from './decide.ts'
export type { AllowList, AllowListRule, LoadAllowListOptions, RuleTtl } from './load-allow-list.ts'
export { AllowListError, DEFAULT_MOUNT_MAX_TTL_SECONDS, loadAllowList } from './load-allow-list.ts'
export type { PolicyListReading } from './policy-names.ts'
export {
  DEFAULT_POLICY,
  isAcceptablePolicyName,
  MAX_POLICY_NAME_LENGTH,
  MAX_REQUESTED_POLICIES,
  normalisePolicyNames,
  POLICIES_ANNOTATION,
  RESPONSE_WRAPPING_POLICY,
  ROOT_POLICY,
  readPoliciesAnnotation,
  TTL_ANNOTATION,
} from './policy-names.ts'
export {
  DurationSyntaxError,
  describeDuration,
  formatVaultDuration,
  MAX_DURATION_SECONDS,
  parseVaultDurationSeconds,
} from './vault-duration.ts'
