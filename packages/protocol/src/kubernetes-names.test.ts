import { describe, expect, it } from 'vitest'
import { NamespaceName, PodName } from './kubernetes-names.ts'
import { compileParser } from './validation.ts'

const parseNamespace = compileParser(NamespaceName)
const parsePodName = compileParser(PodName)

describe('NamespaceName', () => {
  it.each(['default', 'kube-system', 'a', '0', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(parseNamespace(name).ok).toBe(true)
  })
  it.each(['', 'Default', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64), ' a'])('refuses %j', (name) => {
    expect(parseNamespace(name).ok).toBe(false)
  })
})

describe('PodName', () => {
  it.each(['web-7d9f-x2x', 'a.b.c', `${'a'.repeat(100)}.${'b'.repeat(100)}`, 'a'.repeat(253)])(
    'accepts %s',
    (name) => {
      expect(parsePodName(name).ok).toBe(true)
    },
  )
  it.each(['', 'Web', 'a..b', '.a', 'a.', 'a/b', 'a'.repeat(254)])('refuses %j', (name) => {
    expect(parsePodName(name).ok).toBe(false)
  })
})
