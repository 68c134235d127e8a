import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from './index.ts'

describe('protocol', () => {
  it('names its version', () => {
    expect(PROTOCOL_VERSION).toBe('v1')
  })
})
