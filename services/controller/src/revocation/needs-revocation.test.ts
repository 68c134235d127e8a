import { REVOKE_FINALIZER } from '@vault-controller/protocol'
import { describe, expect, it } from 'vitest'
import { needsRevocation } from './needs-revocation.ts'

describe('needsRevocation', () => {
  it.each([
    { finalizers: [REVOKE_FINALIZER], terminating: true, phase: 'Running', expected: true },
    { finalizers: [REVOKE_FINALIZER], terminating: false, phase: 'Succeeded', expected: true },
    { finalizers: [REVOKE_FINALIZER], terminating: false, phase: 'Failed', expected: true },
    { finalizers: ['example.com/other', REVOKE_FINALIZER], terminating: true, phase: '', expected: true },
    { finalizers: [REVOKE_FINALIZER], terminating: false, phase: 'Running', expected: false },
    { finalizers: [REVOKE_FINALIZER], terminating: false, phase: 'Pending', expected: false },
    { finalizers: [REVOKE_FINALIZER], terminating: false, phase: '', expected: false },
    { finalizers: ['example.com/other'], terminating: true, phase: 'Failed', expected: false },
    { finalizers: [], terminating: true, phase: 'Succeeded', expected: false },
  ])('finalizers $finalizers, terminating $terminating, phase "$phase" → $expected', (pod) => {
    expect(needsRevocation(pod)).toBe(pod.expected)
  })
})
