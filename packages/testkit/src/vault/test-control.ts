/**
 * @module
 * The unauthenticated test-control API under `/__testkit/` (spec §12 and the testkit's
 * common rules): clock, reset, seal, fault injection and request statistics. Never under
 * `/v1/`, never counted in the statistics, never subject to faults.
 */
import type { FaultInjector, FaultSpec, RequestStats } from '../faults.ts'
import { FaultSpecError } from '../faults.ts'
import type { VaultState } from './vault-state.ts'

export interface ControlAnswer {
  status: number
  body: string | undefined
}

export interface TestControlDeps {
  state: VaultState
  faults: FaultInjector
  stats: RequestStats
}

function json(status: number, value: unknown): ControlAnswer {
  return { status, body: `${JSON.stringify(value)}\n` }
}

const NO_CONTENT: ControlAnswer = { status: 204, body: undefined }

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: {} }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

export function handleTestControl(
  deps: TestControlDeps,
  method: string,
  path: string,
  raw: Buffer,
): ControlAnswer {
  const { state, faults, stats } = deps
  const route = `${method} ${path.replace(/\/+$/, '')}`
  const parsed = parseJson(raw)
  if (!parsed.ok) return json(400, { error: 'body is not valid JSON' })
  const body = parsed.value
  switch (route) {
    case 'POST /__testkit/clock/advance': {
      const seconds = (body as { seconds?: unknown } | null)?.seconds
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        return json(400, { error: 'seconds must be a non-negative number' })
      }
      state.clock.advance(seconds * 1000)
      return NO_CONTENT
    }
    case 'GET /__testkit/clock':
      return json(200, { nowMs: state.clock.now() })
    case 'POST /__testkit/reset':
      state.reset()
      faults.clear()
      stats.reset()
      return NO_CONTENT
    case 'POST /__testkit/seal':
      state.sealed = true
      return NO_CONTENT
    case 'POST /__testkit/unseal':
      state.sealed = false
      return NO_CONTENT
    case 'POST /__testkit/faults':
      try {
        return json(201, { id: faults.add(body as FaultSpec) })
      } catch (error) {
        if (error instanceof FaultSpecError) return json(400, { error: error.message })
        throw error
      }
    case 'GET /__testkit/faults':
      return json(200, faults.list())
    case 'DELETE /__testkit/faults':
      faults.clear()
      return NO_CONTENT
    case 'GET /__testkit/stats':
      return json(200, stats.snapshot())
    case 'POST /__testkit/stats/reset':
      stats.reset()
      return NO_CONTENT
    case 'GET /__testkit/state':
      return json(200, { sealed: state.sealed, tokens: state.tokens.size, roles: state.roles.size })
  }
  const faultId = /^DELETE \/__testkit\/faults\/(\d+)$/.exec(route)
  if (faultId) return faults.remove(Number(faultId[1])) ? NO_CONTENT : json(404, { error: 'no such fault' })
  return json(404, { error: `unknown test-control endpoint: ${route}` })
}
