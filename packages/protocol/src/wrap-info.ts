/**
 * @module
 * Vault's `wrap_info` as protocol v1 carries it: camelCase like the rest of the protocol, and
 * nothing but the six fields Vault defines. It travels in the delivery callback and, in
 * response-body delivery mode, in the answer to `POST /v1/token`.
 *
 * `token` is the single-use wrapping token: a secret for as long as it is unused. `accessor`
 * (the wrapping token's) and `wrappedAccessor` (the minted token's) are not secrets and are what
 * gets recorded and audited. {@link wrapInfoFromVault} converts Vault's own JSON.
 */
import { type Static, Type } from 'typebox'
import { compileParser, type ParseResult } from './validation.ts'

/**
 * A Vault token accessor. Refuses strings shaped like tokens (`hvs.`, `hvb.`, `hvr.`, `s.`, `b.`,
 * `r.` prefixes), so a token stored by mistake in an accessor field fails validation instead of
 * reaching an annotation or a log.
 */
export const Accessor = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^(?!(hv[sbr]|[sbr])\\.)[A-Za-z0-9._-]+$',
})

/** A Vault token (here: a wrapping token). Never log, record or echo it. */
export const VaultToken = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[\\x21-\\x7e]+$' })

/** RFC 3339 date-time as Vault writes it (`2024-05-01T10:00:00.123456789Z`). */
export const Rfc3339Time = Type.String({
  maxLength: 64,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
})

export const WrapInfo = Type.Object(
  {
    token: VaultToken,
    accessor: Accessor,
    ttlSeconds: Type.Integer({ minimum: 1 }),
    creationTime: Rfc3339Time,
    creationPath: Type.String({ minLength: 1, maxLength: 1024 }),
    wrappedAccessor: Accessor,
  },
  { additionalProperties: false },
)
export type WrapInfo = Static<typeof WrapInfo>

/**
 * Vault's `wrap_info` of a wrapped token creation, as the controller receives it. Extra fields
 * (`format`, future ones) are allowed and dropped; `wrapped_accessor` is required because only
 * token creations are delivered.
 */
export const VaultWrapInfo = Type.Object({
  token: VaultToken,
  accessor: Accessor,
  ttl: Type.Integer({ minimum: 1 }),
  creation_time: Rfc3339Time,
  creation_path: Type.String({ minLength: 1, maxLength: 1024 }),
  wrapped_accessor: Accessor,
})
export type VaultWrapInfo = Static<typeof VaultWrapInfo>

const parseVaultWrapInfo = compileParser(VaultWrapInfo)

/** Validates Vault's `wrap_info` and converts it to the protocol's {@link WrapInfo}. */
export function wrapInfoFromVault(wrapInfo: unknown): ParseResult<WrapInfo> {
  const parsed = parseVaultWrapInfo(wrapInfo)
  if (!parsed.ok) return parsed
  const { token, accessor, ttl, creation_time, creation_path, wrapped_accessor } = parsed.value
  return {
    ok: true,
    value: {
      token,
      accessor,
      ttlSeconds: ttl,
      creationTime: creation_time,
      creationPath: creation_path,
      wrappedAccessor: wrapped_accessor,
    },
  }
}
