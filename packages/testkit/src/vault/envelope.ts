/**
 * @module
 * The JSON bodies of successful answers (spec §1.2, §5): the response envelope with every key
 * always present, in the field order of Vault's Go struct, the wrapped-response form, and the
 * top-level copy of `data` that a few sys routes get.
 */
import type { AuthBlock, LogicalResponse, MountType } from './route.ts'
import { goJson, sortedKeysDeep } from './wire-format.ts'

export interface WrapInfo {
  token: string
  accessor: string
  ttl: number
  creation_time: string
  creation_path: string
  wrapped_accessor?: string
}

function sortedAuth(auth: AuthBlock): AuthBlock {
  return auth.metadata ? { ...auth, metadata: sortedKeysDeep(auth.metadata) as Record<string, string> } : auth
}

/** The envelope of a logical response, serialised, without the trailing newline. */
export function envelopeJson(
  response: LogicalResponse,
  options: { requestId: string; mountType: MountType | ''; copyDataToTopLevel?: boolean },
): string {
  const data = response.data ? (sortedKeysDeep(response.data) as Record<string, unknown>) : null
  const body = goJson({
    request_id: options.requestId,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: response.warnings && response.warnings.length > 0 ? response.warnings : null,
    auth: response.auth ? sortedAuth(response.auth) : null,
    mount_type: options.mountType,
  })
  if (!options.copyDataToTopLevel || !data || Object.keys(data).length === 0) return body
  const copied = Object.entries(data).map(([key, value]) => `${goJson(key)}:${goJson(value)},`)
  return `{${copied.join('')}${body.slice(1)}`
}

/** The answer to a wrapped request (spec §5). */
export function wrappedEnvelopeJson(wrapInfo: WrapInfo): string {
  return goJson({
    request_id: '',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: wrapInfo,
    warnings: null,
    auth: null,
    mount_type: '',
  })
}
