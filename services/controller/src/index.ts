/**
 * @module
 * The controller as a library, for e2e and the demo: build the app from a configuration, and the
 * allow-list (policy) module.
 */

export { type AppDeps, type AppOptions, buildApp, LOG_REDACT_PATHS } from './app.ts'
export type { AuditDecision, AuditEvent, AuditLine } from './audit/audit-log.ts'
export { type Config, ConfigError, loadConfig } from './config.ts'
export { createDeps } from './create-deps.ts'
export { type CallbackDelivery, DeliveryError, deliverByCallback } from './delivery/callback.ts'
export { reuseApiServerConnections } from './kube/connection-reuse.ts'
export * from './policy/index.ts'
export { Secret } from './secret.ts'
export { type SetupResult, type SetupVaultOptions, setupVault } from './setup/setup-vault.ts'
