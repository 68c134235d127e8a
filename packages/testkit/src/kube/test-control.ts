/**
 * @module
 * kube-dev's unauthenticated test-control API under `/__testkit/` (spec §11 and the shared
 * faults/stats routes): move the clock, change settings, add identities and RBAC rules, rotate
 * signing keys, register Nodes, play the kubelet, drop watches. Errors answer
 * `{"error": "..."}`; success answers 204 unless stated.
 */
import type { IncomingMessage } from 'node:http'
import { FaultSpecError } from '../faults.ts'
import type { KubeDevState } from './kube-dev-state.ts'
import { formatTime } from './kube-time.ts'
import { KubeletRequestError, kubeletStatus, parseKubeletUpdate } from './kubelet.ts'
import { isJsonObject } from './object-patch.ts'
import { podType } from './pods.ts'
import { parseRbacConfig, RbacConfigError } from './rbac.ts'
import { KubeStatusError } from './status-errors.ts'

export interface ControlAnswer {
  status: number
  body?: unknown
}

class ControlError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ControlError(400, 'body is not valid JSON')
  }
  if (!isJsonObject(body)) throw new ControlError(400, 'body must be a JSON object')
  return body
}

function nonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ControlError(400, `${field} must be a non-negative integer`)
  }
  return value
}

export async function handleTestControl(
  state: KubeDevState,
  request: IncomingMessage,
  pathname: string,
  bodyText: string,
): Promise<ControlAnswer> {
  try {
    return await route(state, request.method ?? 'GET', pathname, bodyText)
  } catch (error) {
    if (error instanceof ControlError) return { status: error.status, body: { error: error.message } }
    if (
      error instanceof FaultSpecError ||
      error instanceof RbacConfigError ||
      error instanceof KubeletRequestError
    ) {
      return { status: 400, body: { error: error.message } }
    }
    if (error instanceof KubeStatusError) return { status: error.code, body: { error: error.message } }
    throw error
  }
}

async function route(
  state: KubeDevState,
  method: string,
  pathname: string,
  bodyText: string,
): Promise<ControlAnswer> {
  const path = pathname.replace(/\/+$/, '')
  const segments = path
    .split('/')
    .slice(2)
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        return segment
      }
    })
  const key = `${method} /${segments[0] ?? ''}`
  switch (key) {
    case 'POST /clock': {
      if (segments[1] !== 'advance') break
      const { seconds } = parseBody(bodyText)
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        throw new ControlError(400, 'seconds must be a non-negative number')
      }
      state.clock.advance(seconds * 1000)
      return { status: 204 }
    }
    case 'GET /clock':
      return { status: 200, body: { nowMs: state.clock.now(), now: formatTime(state.clock.now()) } }
    case 'GET /config':
      return { status: 200, body: state.settingsSnapshot() }
    case 'PUT /config': {
      const body = parseBody(bodyText)
      const known = ['requireAuth', 'discoveryRequiresAuth', 'watchHistory', 'bookmarkIntervalSeconds']
      const unknown = Object.keys(body).filter((field) => !known.includes(field))
      if (unknown.length > 0) throw new ControlError(400, `unknown settings: ${unknown.join(', ')}`)
      for (const field of ['requireAuth', 'discoveryRequiresAuth'] as const) {
        if (body[field] !== undefined && typeof body[field] !== 'boolean')
          throw new ControlError(400, `${field} must be a boolean`)
      }
      const watchHistory =
        body.watchHistory === undefined ? undefined : nonNegativeInteger(body.watchHistory, 'watchHistory')
      const bookmark =
        body.bookmarkIntervalSeconds === undefined
          ? undefined
          : nonNegativeInteger(body.bookmarkIntervalSeconds, 'bookmarkIntervalSeconds')
      if (typeof body.requireAuth === 'boolean') state.settings.requireAuth = body.requireAuth
      if (typeof body.discoveryRequiresAuth === 'boolean')
        state.settings.discoveryRequiresAuth = body.discoveryRequiresAuth
      if (watchHistory !== undefined) state.store.historyLimit = watchHistory
      if (bookmark !== undefined) state.settings.bookmarkIntervalSeconds = bookmark
      return { status: 204 }
    }
    case 'POST /identities': {
      const { token, username, uid, groups } = parseBody(bodyText)
      if (typeof token !== 'string' || token === '')
        throw new ControlError(400, 'token must be a non-empty string')
      if (typeof username !== 'string' || username === '')
        throw new ControlError(400, 'username must be a non-empty string')
      if (uid !== undefined && typeof uid !== 'string') throw new ControlError(400, 'uid must be a string')
      if (
        groups !== undefined &&
        (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string'))
      ) {
        throw new ControlError(400, 'groups must be a list of strings')
      }
      state.authenticator.addIdentity({
        token,
        username,
        ...(uid === undefined ? {} : { uid }),
        ...(groups === undefined ? {} : { groups: groups as string[] }),
      })
      return { status: 204 }
    }
    case 'PUT /rbac':
      state.rbac.configure(parseRbacConfig(parseBody(bodyText)))
      return { status: 204 }
    case 'GET /rbac':
      return { status: 200, body: state.rbac.config }
    case 'POST /keys': {
      if (segments[1] !== 'rotate') break
      const { retainOld = true } = parseBody(bodyText)
      if (typeof retainOld !== 'boolean') throw new ControlError(400, 'retainOld must be a boolean')
      await state.tokens.rotate({ retainOld })
      return { status: 204 }
    }
    case 'POST /nodes': {
      const { name, uid } = parseBody(bodyText)
      if (typeof name !== 'string' || name === '')
        throw new ControlError(400, 'name must be a non-empty string')
      if (uid !== undefined && typeof uid !== 'string') throw new ControlError(400, 'uid must be a string')
      await state.createNode(name, uid)
      return { status: 204 }
    }
    case 'POST /kubelet': {
      const [, namespace, name, action, ...extra] = segments
      if (namespace === undefined || name === undefined || extra.length > 0) break
      const pod = state.store.get('pods', namespace, name)
      if (pod === undefined) throw new ControlError(404, `pods "${name}" not found`)
      if (action === 'terminate') {
        state.rest.delete(podType, namespace, name, {
          gracePeriodSeconds: 0,
          preconditions: {},
          dryRun: false,
        })
        return { status: 204 }
      }
      if (action !== undefined) break
      const status = kubeletStatus(
        pod,
        parseKubeletUpdate(parseBody(bodyText)),
        formatTime(state.clock.now()),
      )
      state.rest.update(podType, pod, { ...pod, status }, 'status', { replace: false, dryRun: false })
      return { status: 204 }
    }
    case 'POST /watches':
      if (segments[1] !== 'drop') break
      {
        const { mode = 'end' } = parseBody(bodyText)
        if (mode !== 'end' && mode !== 'reset') throw new ControlError(400, 'mode must be "end" or "reset"')
        const dropped = state.watches.dropAll(mode)
        state.log(`dropped ${dropped} watch stream(s) (${mode})`)
      }
      return { status: 204 }
    case 'GET /watches':
      return { status: 200, body: { open: state.watches.size } }
    case 'POST /faults':
      return { status: 201, body: { id: state.faults.add(parseBody(bodyText)) } }
    case 'GET /faults':
      return { status: 200, body: state.faults.list() }
    case 'DELETE /faults': {
      if (segments[1] === undefined) {
        state.faults.clear()
        return { status: 204 }
      }
      const id = Number(segments[1])
      if (!Number.isInteger(id) || !state.faults.remove(id))
        throw new ControlError(404, `no fault with id ${segments[1]}`)
      return { status: 204 }
    }
    case 'GET /stats':
      return { status: 200, body: state.stats.snapshot() }
    case 'POST /stats':
      if (segments[1] !== 'reset') break
      state.stats.reset()
      return { status: 204 }
  }
  throw new ControlError(404, `no test-control route ${method} ${pathname}`)
}
