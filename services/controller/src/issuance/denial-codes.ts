/**
 * @module
 * The allow-list's denial reasons as protocol error codes, one each.
 */
import type { ErrorCode } from '@vault-controller/protocol'
import type { DenialReason } from '../policy/index.ts'

export const denialCodes: Record<DenialReason, ErrorCode> = {
  'no-matching-rule': 'VC_NO_MATCHING_RULE',
  'policy-not-allowed': 'VC_POLICY_NOT_ALLOWED',
  'root-forbidden': 'VC_ROOT_POLICY_REFUSED',
  'ttl-above-max': 'VC_TTL_ABOVE_MAX',
  'ttl-not-allowed': 'VC_TTL_NOT_ALLOWED',
  'invalid-policies-annotation': 'VC_POLICIES_ANNOTATION_INVALID',
  'invalid-ttl-annotation': 'VC_TTL_ANNOTATION_INVALID',
}
