/**
 * @module
 * vault-init's exit codes: the pod's init container status is the only thing Kubernetes, and
 * the operator running `kubectl describe pod`, sees first. Each failure class has its own code
 * so alerts and runbooks can tell an interception from a misconfiguration at a glance.
 * The renewal sidecar (`vault-init sidecar`) shares the table and adds 7-10; for it, 0 means
 * "stopped by SIGTERM or SIGINT" (it only ends on its own when the token cannot be kept alive).
 */

export const exitCodes = {
  /** The token files are in place (written now, or already by an earlier run for this pod). */
  OK: 0,
  /** Bad configuration or environment: a variable, the service-account token or a CA file. */
  CONFIG: 1,
  /** The controller refused for good (a non-retryable `VC_…` code); its message is printed. */
  REFUSED: 2,
  /** The overall deadline passed before a token was written; the last error is printed. */
  DEADLINE: 3,
  /** SECURITY: the wrapping token was already used or expired — possible interception. */
  SECURITY: 4,
  /** The output directory holds token files of another pod; nothing was overwritten. */
  FOREIGN_FILES: 5,
  /** A local failure: the callback port could not be opened or the files could not be written. */
  LOCAL_FAILURE: 6,
  /** Sidecar: no `secret.json` (or `token`) in the output directory; the init container must run first. */
  NO_TOKEN_FILES: 7,
  /** Sidecar: Vault refused the token (403 permission denied / bad token) before it was due to expire. */
  TOKEN_REVOKED: 8,
  /** Sidecar: the token expired (Vault unreachable until then, or its max TTL reached). */
  TOKEN_EXPIRED: 9,
  /** Sidecar: Vault says the token is not renewable. */
  NOT_RENEWABLE: 10,
  /** Interrupted by SIGINT (128 + 2). */
  SIGINT: 130,
  /** Interrupted by SIGTERM (128 + 15): never 0, so a pod without a token never starts. */
  SIGTERM: 143,
} as const

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes]

/** One line per code, for `--help` and the docs. */
export const exitCodeHelp: ReadonlyArray<readonly [ExitCode, string]> = [
  [exitCodes.OK, 'token files written, or already present for this pod'],
  [exitCodes.CONFIG, 'bad configuration: environment variable, service-account token or CA file'],
  [exitCodes.REFUSED, 'the controller refused with a permanent error (code and message printed)'],
  [exitCodes.DEADLINE, 'VAULT_INIT_DEADLINE passed before a token was written (last error printed)'],
  [exitCodes.SECURITY, 'SECURITY: wrapping token already used or expired (possible interception)'],
  [exitCodes.FOREIGN_FILES, 'the output directory holds another pod’s token files; left untouched'],
  [exitCodes.LOCAL_FAILURE, 'callback port unavailable, or the token files could not be written'],
  [exitCodes.SIGINT, 'interrupted by SIGINT'],
  [exitCodes.SIGTERM, 'terminated by SIGTERM'],
]

/** The sidecar's exit codes, for `--help` and the docs. */
export const sidecarExitCodeHelp: ReadonlyArray<readonly [ExitCode, string]> = [
  [exitCodes.OK, 'stopped by SIGTERM or SIGINT (the pod is stopping, or a Job’s containers finished)'],
  [exitCodes.CONFIG, 'bad configuration: environment variable or CA file'],
  [exitCodes.FOREIGN_FILES, 'secret.json names another pod, or token and secret.json disagree'],
  [exitCodes.LOCAL_FAILURE, 'unexpected local failure'],
  [exitCodes.NO_TOKEN_FILES, 'no token files in the output directory: the init container must run first'],
  [exitCodes.TOKEN_REVOKED, 'Vault refused the token (403: revoked or invalid) before it expired'],
  [exitCodes.TOKEN_EXPIRED, 'the token expired: Vault unreachable until then, or its max TTL reached'],
  [exitCodes.NOT_RENEWABLE, 'Vault says the token is not renewable'],
]
