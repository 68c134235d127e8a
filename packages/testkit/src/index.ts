/**
 * @module
 * vault-dev and kube-dev for tests and the demo: in-memory servers that speak the
 * real Vault and Kubernetes HTTP APIs (see shared/specs), plus the small tools
 * tests need around them (clocks, waiting on conditions).
 */
export { type AdjustableClock, type Clock, fakeClock, offsetClock } from './clock.ts'
export { type FaultAction, FaultInjector, type FaultSpec, FaultSpecError, RequestStats } from './faults.ts'
export { type KubeDev, type KubeDevOptions, startKubeDev } from './kube/kube-dev.ts'
export { type LatencyModel, startVaultDev, type VaultDev, type VaultDevOptions } from './vault/vault-dev.ts'
export { type WaitForOptions, waitFor } from './wait-for.ts'
