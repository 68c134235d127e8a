/**
 * @module
 * The one error body of protocol v1, used by the controller for every failure and by vault-init
 * when it refuses a delivery:
 *
 * ```json
 * {"error":{"code":"VC_POD_NOT_READY","message":"pod has no IP yet","requestId":"req-1","retryable":true}}
 * ```
 *
 * `code` is a stable catalogue code; `retryable` is repeated in the body so a client that does
 * not know a newer code still knows whether to retry; a retryable answer also carries
 * `Retry-After` (seconds). The message is for humans and never contains a token or the input.
 */
import { type Static, Type } from 'typebox'
import { type DeliveryErrorCode, deliveryErrorCodes } from './delivery-error-codes.ts'
import { type ErrorCode, errorCodes, isErrorCode } from './error-codes.ts'
import { compileParser } from './validation.ts'

/** `VC_…` for the controller, `VI_…` for vault-init; any such code, so old clients accept new codes. */
export const ERROR_CODE_PATTERN = '^[A-Z]{2}_[A-Z0-9_]+$'

/** Request ids are echoed into logs and annotations: visible ASCII only, bounded. */
export const RequestId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' })

/** Longer messages are cut, so a body always validates. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ pattern: ERROR_CODE_PATTERN, maxLength: 64 }),
        message: Type.String({ maxLength: MAX_ERROR_MESSAGE_LENGTH }),
        requestId: RequestId,
        retryable: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type ErrorBody = Static<typeof ErrorBody>

/** Validates an error body received from the other end. */
export const parseErrorBody = compileParser(ErrorBody)

/** Header of a retryable answer: whole seconds to wait before retrying. */
export const RETRY_AFTER_HEADER = 'retry-after'

/**
 * Builds the error body for a controller (`VC_…`) or vault-init (`VI_…`) code; `retryable`
 * comes from the catalogue, so body, status and `Retry-After` cannot disagree.
 */
export function errorBody(
  code: ErrorCode | DeliveryErrorCode,
  message: string,
  requestId: string,
): ErrorBody {
  const retryable = isErrorCode(code) ? errorCodes[code].retryable : deliveryErrorCodes[code].retryable
  return { error: { code, message: message.slice(0, MAX_ERROR_MESSAGE_LENGTH), requestId, retryable } }
}
