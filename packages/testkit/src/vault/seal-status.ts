/**
 * @module
 * The endpoints real Vault serves outside its logical router, before any seal or token check
 * (spec §8): `sys/health`, `sys/seal-status` and `sys/unseal`. Their bodies are plain JSON
 * structs, not response envelopes.
 */
import type { RawResponse } from './route.ts'
import { badRequest, VaultError } from './vault-error.ts'
import { VAULT_VERSION, type VaultState } from './vault-state.ts'
import { goJson, unixSeconds } from './wire-format.ts'

const BUILD_DATE = '2024-06-10T10:11:34Z'

const HEALTH_CODE_PARAMS = [
  'activecode',
  'standbycode',
  'drsecondarycode',
  'performancestandbycode',
  'sealedcode',
  'uninitcode',
] as const

function raw(status: number, body: unknown): RawResponse {
  return { kind: 'raw', status, body: `${goJson(body)}\n` }
}

export function health(state: VaultState, query: URLSearchParams, head: boolean): RawResponse {
  const codes: Record<string, number> = {}
  for (const name of HEALTH_CODE_PARAMS) {
    const value = query.get(name)
    if (value === null) continue
    if (!/^[+-]?\d+$/.test(value)) throw new VaultError(400, [], 'bare')
    codes[name] = Number.parseInt(value, 10)
  }
  const status = state.sealed ? (codes.sealedcode ?? 503) : (codes.activecode ?? 200)
  const body: Record<string, unknown> = {
    initialized: true,
    sealed: state.sealed,
    standby: state.sealed,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: unixSeconds(state.clock.now()),
    version: VAULT_VERSION,
  }
  if (!state.sealed) {
    body.cluster_name = state.clusterName
    body.cluster_id = state.clusterId
  }
  const response = raw(status, body)
  return head ? { ...response, headOnly: true } : response
}

export function sealStatus(state: VaultState): RawResponse {
  const body: Record<string, unknown> = {
    type: 'shamir',
    initialized: true,
    sealed: state.sealed,
    t: 1,
    n: 1,
    progress: 0,
    nonce: '',
    version: VAULT_VERSION,
    build_date: BUILD_DATE,
    migration: false,
  }
  if (!state.sealed) {
    body.cluster_name = state.clusterName
    body.cluster_id = state.clusterId
  }
  body.recovery_seal = false
  body.storage_type = 'inmem'
  return raw(200, body)
}

export function unseal(state: VaultState, body: Record<string, unknown>): RawResponse {
  const key = body.key
  if (body.reset === true) return sealStatus(state)
  if (typeof key !== 'string' || key === '') {
    throw badRequest("'key' must be specified in request body as JSON, or 'reset' set to true")
  }
  if (!/^[A-Za-z0-9+/=_-]+$/.test(key)) throw badRequest("'key' must be a valid hex or base64 string")
  if (state.sealed) {
    if (key !== state.unsealKey) throw badRequest('Unseal failed, invalid key')
    state.sealed = false
  }
  return sealStatus(state)
}
