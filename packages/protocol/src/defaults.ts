/**
 * @module
 * Defaults both ends must agree on without configuring each other. Each one can be overridden
 * in the controller's configuration or on vault-init's command line; these are the values used
 * when nobody does.
 */

/** Protocol version carried in the routes (`/v1/token`, `/v1/deliver`). */
export const PROTOCOL_VERSION = 'v1'

/** Audience of the projected service-account token vault-init presents. */
export const DEFAULT_AUDIENCE = 'vault-controller'

/** Lifetime of the wrapping token: long enough for delivery and unwrap, short if intercepted. */
export const DEFAULT_WRAP_TTL_SECONDS = 60

/**
 * vault-init's HTTPS callback port. Above 1024, so vault-init needs neither root nor
 * `NET_BIND_SERVICE` (the original's port 80 did); 9443 rather than the more popular 8443 or
 * 8080, which native sidecars started before vault-init (proxies, agents) often already hold in
 * the pod's shared network namespace.
 */
export const DEFAULT_CALLBACK_PORT = 9443

/** Where vault-init writes, on a memory-backed volume shared with the app containers. */
export const DEFAULT_OUTPUT_DIR = '/var/run/secrets/vaultproject.io'

/** The client token alone, no newline. */
export const TOKEN_FILE_NAME = 'token'

/** The whole unwrapped Vault response as JSON plus a newline, as the original init wrote it. */
export const SECRET_FILE_NAME = 'secret.json'

/** Mode of both files. */
export const DEFAULT_OUTPUT_FILE_MODE = 0o600

/** Limit on a `POST /v1/token` body; a valid one is under 500 bytes. */
export const MAX_TOKEN_REQUEST_BYTES = 4096

/** Limit on a `POST /v1/deliver` body; a valid one is under 6 KiB even with a long token. */
export const MAX_DELIVER_REQUEST_BYTES = 16_384
