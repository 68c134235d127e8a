/**
 * @module
 * The codes vault-init answers the controller's delivery callback with (`VI_…`), in the same
 * shape as the controller's catalogue. Here `retryable` tells the controller whether the same
 * wrapping token is still unused and may be pushed again; otherwise it revokes what it minted
 * (by `wrapped_accessor`) and marks the issuance failed.
 */
import type { ErrorCodeInfo } from './error-codes.ts'

export const deliveryErrorCodes = {
  VI_BAD_REQUEST: {
    status: 400,
    retryable: false,
    description: 'Delivery body malformed or not valid JSON.',
  },
  VI_BODY_TOO_LARGE: { status: 413, retryable: false, description: 'Delivery body larger than the limit.' },
  VI_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    description: 'Delivery Content-Type is not application/json.',
  },
  VI_ROUTE_NOT_FOUND: {
    status: 404,
    retryable: false,
    description: 'No such route on the callback listener.',
  },
  VI_ALREADY_DELIVERED: {
    status: 409,
    retryable: false,
    description: 'A token was already received and written; this one was not unwrapped.',
  },
  VI_WRAPPING_TOKEN_REJECTED: {
    status: 422,
    retryable: false,
    description: 'Vault refused the wrapping token (already used or expired): possible interception.',
  },
  VI_UNEXPECTED_TOKEN: {
    status: 422,
    retryable: false,
    description: 'The unwrapped token was not minted for this pod; it was not written.',
  },
  VI_VAULT_UNAVAILABLE: {
    status: 503,
    retryable: true,
    description: 'vault-init could not reach Vault; the wrapping token is still unused.',
  },
  VI_WRITE_FAILED: {
    status: 500,
    retryable: false,
    description: 'Unwrapped, but the token files could not be written.',
  },
  VI_INTERNAL: { status: 500, retryable: false, description: 'Unexpected internal error in vault-init.' },
} as const satisfies Record<`VI_${string}`, ErrorCodeInfo>

/** Every code vault-init may answer a delivery with. */
export type DeliveryErrorCode = keyof typeof deliveryErrorCodes

/** Whether `value` is a code of this catalogue. */
export function isDeliveryErrorCode(value: unknown): value is DeliveryErrorCode {
  return typeof value === 'string' && Object.hasOwn(deliveryErrorCodes, value)
}
