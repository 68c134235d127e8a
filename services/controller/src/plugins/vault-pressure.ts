/**
 * @module
 * under-pressure, used as the readiness gate: Vault's health is polled and, while Vault is sealed
 * or unreachable or the controller holds no usable Vault token of its own, every route of the scope it is registered in answers `503 VC_VAULT_UNAVAILABLE`.
 * Register it in the child scope of `/readyz` and `/v1/*`, never at the root: `/livez` must stay
 * up (STYLE §4).
 *
 * @see https://github.com/fastify/under-pressure
 */
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { BrokerError } from '../errors.ts'
import type { VaultClient } from '../vault/vault-client.ts'

export async function registerVaultPressure(
  scope: FastifyInstance,
  options: {
    vault: Pick<VaultClient, 'health'>
    healthCheckIntervalMs: number
    /** Whether the controller holds a usable Vault token of its own; default: assume it does. */
    tokenUsable?: () => boolean | Promise<boolean>
  },
): Promise<void> {
  await scope.register(underPressure, {
    healthCheck: async () => {
      if ((await options.tokenUsable?.()) === false) return false
      const health = await options.vault.health()
      return health.initialized && !health.sealed
    },
    healthCheckInterval: options.healthCheckIntervalMs,
    pressureHandler: async () => {
      throw new BrokerError(
        'VC_VAULT_UNAVAILABLE',
        'Vault is unavailable or sealed, or the controller has no usable Vault token',
        {
          retryAfterSeconds: 5,
        },
      )
    },
  })
}
