/** The informer's cache keeps only what it compares pods by. */
import type { V1Pod } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { trimCachedPod } from './pod-informer.ts'

describe('trimCachedPod', () => {
  it('keeps kind, apiVersion and the identity of the pod, nothing else', () => {
    const pod = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        uid: 'u-1',
        resourceVersion: '42',
        annotations: { 'vaultproject.io/issuance': '{}' },
        labels: { app: 'web' },
        finalizers: ['vaultproject.io/revoke-token'],
        managedFields: [{ manager: 'kubelet' }],
      },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
      status: { phase: 'Running', podIP: '10.0.0.1' },
    } as unknown as V1Pod
    trimCachedPod(pod)
    expect(pod).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '42' },
    })
  })
})
