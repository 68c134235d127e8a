/**
 * @module
 * vault-init as a library: the whole run (`runVaultInit`), the renewal sidecar
 * (`runRenewalSidecar`) and the pieces they are made of, so the e2e suites can reuse them. The
 * CLI (`cli.ts`) only reads the environment, wires signals and prints.
 */
export * from './atomic-write.ts'
export * from './backoff.ts'
export * from './callback-certificate.ts'
export * from './callback-server.ts'
export * from './config.ts'
export * from './controller-client.ts'
export * from './duration.ts'
export * from './exit-codes.ts'
export * from './http-transport.ts'
export * from './logger.ts'
export * from './pod-identity.ts'
export * from './run-renewal-sidecar.ts'
export * from './run-vault-init.ts'
export * from './secret.ts'
export * from './single-delivery.ts'
export * from './token-files.ts'
export * from './vault-renew-self.ts'
export * from './vault-unwrap.ts'
export * from './version.ts'
