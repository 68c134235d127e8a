/**
 * @module
 * Everything a vault-dev instance remembers, in one place so that `/__testkit/reset` can
 * put it back to the dev-mode start (spec §12): policies, tokens, token roles, auth mounts,
 * identity entities and the seal. The clock and the token-id tag survive a reset.
 */
import { randomUUID } from 'node:crypto'
import type { AdjustableClock } from '../clock.ts'
import { PolicyStore } from './policy-store.ts'
import type { Mount } from './route.ts'
import { TokenIdFactory } from './token-ids.ts'
import type { TokenRole } from './token-roles.ts'
import { TokenStore } from './token-store.ts'

/** Dev mode's default and max lease TTL: 768h. */
export const MOUNT_DEFAULT_TTL_SECONDS = 2_764_800
export const MOUNT_MAX_TTL_SECONDS = 2_764_800

export const VAULT_VERSION = '1.17.0'

export interface AuthMount extends Mount {
  accessor: string
  type: 'kubernetes' | 'approle'
}

export class VaultState {
  readonly clock: AdjustableClock
  readonly ids = new TokenIdFactory()
  readonly tokens: TokenStore
  readonly policies = new PolicyStore()
  readonly roles = new Map<string, TokenRole>()
  /** Auth methods enabled through sys/auth, keyed by mount path with trailing `/` (`auth/kubernetes/`). */
  readonly authMounts = new Map<string, AuthMount>()
  /** Entity ids by `<mount accessor>/<alias name>`. */
  readonly entities = new Map<string, string>()
  readonly rootToken: string
  readonly unsealKey: string
  readonly clusterId = randomUUID()
  readonly clusterName = `vault-cluster-${randomUUID().slice(0, 8)}`
  sealed = false

  constructor(options: { clock: AdjustableClock; rootToken: string; unsealKey: string }) {
    this.clock = options.clock
    this.rootToken = options.rootToken
    this.unsealKey = options.unsealKey
    this.tokens = new TokenStore(this.clock, this.ids)
    this.reset()
  }

  /** Back to a freshly started dev server (the root token is recreated with the same value). */
  reset(): void {
    this.tokens.clear()
    this.policies.reset()
    this.roles.clear()
    this.authMounts.clear()
    this.entities.clear()
    this.sealed = false
    this.tokens.create({
      id: this.rootToken,
      parentId: '',
      policies: ['root'],
      meta: null,
      displayName: 'root',
      path: 'auth/token/root',
      numUses: 0,
      creationTimeMs: this.clock.now(),
      creationTtlSeconds: 0,
      expireAtMs: 0,
      explicitMaxTtlSeconds: 0,
      periodSeconds: 0,
      renewalPeriodSeconds: 0,
      backendMaxTtlSeconds: 0,
      renewable: false,
      role: '',
      entityId: '',
      boundCidrs: undefined,
      wrapped: undefined,
    })
  }

  /** The entity for an auth method alias, created on first login (spec §9.2 step 6). */
  entityFor(mountAccessor: string, aliasName: string): string {
    const key = `${mountAccessor}/${aliasName}`
    let entityId = this.entities.get(key)
    if (!entityId) {
      entityId = randomUUID()
      this.entities.set(key, entityId)
    }
    return entityId
  }
}
