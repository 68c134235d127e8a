/**
 * @module
 * The shared vocabulary of the controller and vault-init.
 */
export const PROTOCOL_VERSION = 'v1'
