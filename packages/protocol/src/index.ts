/**
 * @module
 * The shared vocabulary of the controller and vault-init: protocol v1 wire schemas and their
 * validators, the error-code catalogues, pod annotation keys and the issuance record, shared
 * defaults, and the constants of the original protocol for compatibility mode. No I/O.
 */
export * from './annotations.ts'
export * from './callback.ts'
export * from './defaults.ts'
export * from './delivery-error-codes.ts'
export * from './error-body.ts'
export * from './error-codes.ts'
export * from './issuance-record.ts'
export * from './kubernetes-names.ts'
export * from './legacy.ts'
export * from './token-request.ts'
export * from './validation.ts'
export * from './wrap-info.ts'
