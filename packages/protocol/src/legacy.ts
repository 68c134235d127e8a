/**
 * @module
 * The original 2016 protocol, which the controller speaks in compatibility mode (off by
 * default) so unmodified original init containers keep working during a migration
 * (`specs/legacy-protocol.md` §2, §4, §8). It cannot authenticate its caller; protocol v1 can.
 *
 * Request: any method on exactly `/token`, `name` and `namespace` from the query string (or a
 * form body); success is `202` with an empty body; errors are plain text. Delivery: plain HTTP
 * `POST http://<podIP>:80/` with Vault's `wrap_info` JSON (snake_case, as Vault wrote it) and a
 * trailing newline; the original init reads only `token`.
 */

/** The only route; any method. */
export const LEGACY_TOKEN_PATH = '/token'

/** Query (or form) parameter naming the pod; required, non-empty. */
export const LEGACY_NAME_PARAM = 'name'

/** Query (or form) parameter naming the namespace; optional. */
export const LEGACY_NAMESPACE_PARAM = 'namespace'

/** Namespace used when `namespace` is absent. */
export const LEGACY_DEFAULT_NAMESPACE = 'default'

/** "Minted, push attempted": the only status the original init treats as success. */
export const LEGACY_SUCCESS_STATUS = 202

/** Error bodies are plain text, as Go's `http.Error`-style handler wrote them. */
export const LEGACY_ERROR_CONTENT_TYPE = 'text/plain; charset=utf-8'

/** The callback: plain HTTP on port 80, path `/`. */
export const LEGACY_CALLBACK_PORT = 80
export const LEGACY_CALLBACK_PATH = '/'

/** The original wrap TTL (`VAULT_WRAP_TTL="120"`): outlasts the original init's 5-second retry loop. */
export const LEGACY_WRAP_TTL_SECONDS = 120

/** The original default for `vaultproject.io/ttl` when the annotation is absent. */
export const LEGACY_DEFAULT_TTL = '72h'

/** The callback URL for a pod IP; IPv6 addresses are bracketed. */
export function legacyCallbackUrl(podIp: string): string {
  const host = podIp.includes(':') ? `[${podIp}]` : podIp
  return `http://${host}:${LEGACY_CALLBACK_PORT}${LEGACY_CALLBACK_PATH}`
}

/** The callback body: Vault's `wrap_info` object as JSON, then `\n`. */
export function legacyCallbackBody(vaultWrapInfo: object): string {
  return `${JSON.stringify(vaultWrapInfo)}\n`
}
