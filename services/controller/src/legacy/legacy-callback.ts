/**
 * @module
 * The legacy push (`specs/legacy-protocol.md` §4): `POST http://<podIP>:80/` with Vault's
 * `wrap_info` as JSON and a trailing newline, which the original init container unwraps and writes
 * to `secret.json`. Plain HTTP and no pin: the only thing that says the listener is the pod's init
 * container is that the pod still holds that IP and is still initialising, so the pod is read
 * again (same UID, same IP, still in init, not hostNetwork) just before the push (§7 defect 6).
 *
 * Unlike the original (no timeout, no retry, outcome only logged), the push has a connect and a
 * total timeout, and anything but 200 is a failure: the caller revokes the token and marks the
 * issuance failed, so the init container's next request gets a fresh token.
 */
import { request as httpRequest } from 'node:http'
import { LEGACY_CALLBACK_PATH, legacyCallbackBody } from '@vault-controller/protocol'
import { DeliveryError } from '../delivery/callback.ts'
import type { LegacyDelivery } from '../issuance/issue-token.ts'
import { checkPodState } from '../issuance/pod-checks.ts'
import type { KubeClient } from '../kube/kube-client.ts'

/** The original init's answers are empty or one line; larger ones are not read. */
const MAX_ANSWER_BYTES = 16_384

export interface LegacyCallbackOptions {
  kube: Pick<KubeClient, 'readPod'>
  /** The port the original init listens on: 80 (LEGACY_CALLBACK_PORT). */
  port: number
  /** The whole push, connection included. */
  totalTimeoutMs: number
}

/** `http://<ip>:<port>/`, IPv6 bracketed. */
export function legacyCallbackTarget(podIp: string, port: number): string {
  const host = podIp.includes(':') ? `[${podIp}]` : podIp
  return `http://${host}:${port}${LEGACY_CALLBACK_PATH}`
}

/** Vault's `wrap_info`, as the original controller forwarded it (snake_case; the init reads `token`). */
export function legacyCallbackPayload(delivery: LegacyDelivery): string {
  const { wrapInfo } = delivery
  return legacyCallbackBody({
    token: delivery.wrappingToken.reveal(),
    accessor: wrapInfo.accessor,
    ttl: wrapInfo.ttlSeconds,
    creation_time: wrapInfo.creationTime,
    creation_path: wrapInfo.creationPath,
    wrapped_accessor: wrapInfo.wrappedAccessor,
  })
}

/** The delivery function the legacy pipeline is given (see `acceptLegacyRequest`). */
export function createLegacyDeliver(options: LegacyCallbackOptions) {
  return async (delivery: LegacyDelivery): Promise<void> => {
    await checkStillInitialising(options.kube, delivery)
    await push(delivery, options)
  }
}

/** The pod that was claimed, still at that IP and still in init; otherwise nothing is pushed. */
async function checkStillInitialising(kube: LegacyCallbackOptions['kube'], delivery: LegacyDelivery) {
  const claimed = delivery.pod
  let current: Awaited<ReturnType<typeof kube.readPod>>
  try {
    current = await kube.readPod(claimed.namespace, claimed.name)
  } catch (error) {
    throw new DeliveryError('connect', 'cannot re-read the pod before the push', { cause: error })
  }
  if (current === undefined || current.uid !== claimed.uid) {
    throw new DeliveryError('refused', 'the pod went away before the push')
  }
  const refusal = checkPodState(current)
  if (refusal !== undefined) {
    throw new DeliveryError('refused', `not pushed: ${refusal.message} (${refusal.code})`)
  }
  if (current.podIp !== claimed.podIp) {
    throw new DeliveryError('refused', "not pushed: the pod's IP changed")
  }
}

function push(delivery: LegacyDelivery, options: LegacyCallbackOptions): Promise<void> {
  const url = legacyCallbackTarget(delivery.pod.podIp, options.port)
  const body = legacyCallbackPayload(delivery)
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (failure?: DeliveryError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (failure === undefined) {
        resolve()
      } else {
        request.destroy()
        reject(failure)
      }
    }
    const timer = setTimeout(
      () =>
        finish(
          new DeliveryError(
            'timeout',
            `no answer from the legacy callback within ${options.totalTimeoutMs} ms`,
          ),
        ),
      options.totalTimeoutMs,
    )
    const request = httpRequest(url, {
      method: 'POST',
      headers: {
        // The original sent an empty type; the original init ignores it either way.
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      },
    })
    request.once('error', (error) =>
      finish(
        new DeliveryError('connect', `cannot reach the legacy callback: ${error.message}`, { cause: error }),
      ),
    )
    request.once('response', (response) => {
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_ANSWER_BYTES)
          finish(new DeliveryError('bad-answer', 'the callback answer is too large'))
      })
      response.once('error', (error) =>
        finish(
          new DeliveryError('connect', `the callback answer broke off: ${error.message}`, { cause: error }),
        ),
      )
      response.once('end', () => finish(interpret(response.statusCode ?? 0)))
    })
    request.end(body)
  })
}

/** The original init: 200 unwrapped and written; 409 a token file is already there; 500 failed. */
function interpret(status: number): DeliveryError | undefined {
  if (status === 200) return undefined
  if (status === 409) {
    return new DeliveryError('refused', 'the init container answered 409: it already holds a token file')
  }
  return new DeliveryError(
    'refused',
    `the init container answered HTTP ${status} (unwrap or file write failed)`,
  )
}
