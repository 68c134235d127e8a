/**
 * @module
 * The version `--version` prints; kept in source (and checked against package.json by a test)
 * so the single-file bundle needs no package.json beside it.
 */
export const VAULT_INIT_VERSION = '0.1.0'
