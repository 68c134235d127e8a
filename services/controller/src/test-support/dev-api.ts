/**
 * @module
 * Test-only: plain JSON calls to kube-dev and vault-dev, as an operator (Kubernetes admin, Vault
 * root) would make them while setting a test's world up or checking what the controller did.
 */
import type { KubeDev, VaultDev } from '@vault-controller/testkit'

/** JSON from kube-dev, vault-dev and the callback, read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test servers' answers; assertions check their shape
export type Json = any

/** A test server's answer: its status and its JSON body (undefined when empty). */
export interface Answer {
  status: number
  body: Json
}

async function callJson(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Json) }
}

/**
 * Calls vault-dev's HTTP API as `token` (default: root).
 *
 * @example
 * await vaultCall(vault, 'POST', 'auth/token/roles/pods', { orphan: true })
 */
export function vaultCall(
  vault: VaultDev,
  method: string,
  path: string,
  body?: unknown,
  token: string = vault.rootToken,
): Promise<Answer> {
  return callJson(`${vault.addr}/v1/${path}`, method, { 'x-vault-token': token }, body)
}

/** How many tokens vault-dev holds (listed by accessor). */
export async function countTokens(vault: VaultDev): Promise<number> {
  const listed = await vaultCall(vault, 'GET', 'auth/token/accessors?list=true')
  return (listed.body?.data?.keys as string[] | undefined)?.length ?? 0
}

/** Calls kube-dev's API as its admin (`path` starts with `/api/…`). */
export function kubeCall(kube: KubeDev, method: string, path: string, body?: unknown): Promise<Answer> {
  return callJson(`${kube.server}${path}`, method, { authorization: `Bearer ${kube.token}` }, body)
}
