import { describe, expect, it } from 'vitest'
import { ErrorBody, errorBody, MAX_ERROR_MESSAGE_LENGTH, parseErrorBody } from './error-body.ts'

describe('errorBody', () => {
  it('takes retryable from the catalogue', () => {
    expect(errorBody('VC_POD_NOT_READY', 'pod has no IP yet', 'req-1')).toEqual({
      error: { code: 'VC_POD_NOT_READY', message: 'pod has no IP yet', requestId: 'req-1', retryable: true },
    })
    expect(errorBody('VI_ALREADY_DELIVERED', 'already delivered', 'req-2').error.retryable).toBe(false)
    expect(errorBody('VI_VAULT_UNAVAILABLE', 'vault down', 'req-3').error.retryable).toBe(true)
  })

  it('cuts long messages so the body stays valid', () => {
    const body = errorBody('VC_INTERNAL', 'x'.repeat(5000), 'req-1')
    expect(body.error.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH)
    expect(parseErrorBody(body).ok).toBe(true)
  })
})

describe('parseErrorBody', () => {
  it('accepts codes it does not know, so newer peers stay readable', () => {
    const body = { error: { code: 'VC_FROM_THE_FUTURE', message: '', requestId: 'r', retryable: false } }
    expect(parseErrorBody(body)).toEqual({ ok: true, value: body })
  })

  it.each([
    ['no envelope', { code: 'VC_INTERNAL', message: 'm', requestId: 'r', retryable: false }],
    ['lowercase code', { error: { code: 'vc_internal', message: 'm', requestId: 'r', retryable: false } }],
    ['extra field', { error: { code: 'VC_INTERNAL', message: 'm', requestId: 'r', retryable: false, x: 1 } }],
    ['missing retryable', { error: { code: 'VC_INTERNAL', message: 'm', requestId: 'r' } }],
    [
      'request id with spaces',
      { error: { code: 'VC_INTERNAL', message: 'm', requestId: 'a b', retryable: false } },
    ],
  ])('refuses %s', (_, body) => {
    expect(parseErrorBody(body).ok).toBe(false)
  })

  it('is plain JSON Schema for Fastify', () => {
    expect(JSON.parse(JSON.stringify(ErrorBody))).toMatchObject({
      type: 'object',
      required: ['error'],
      additionalProperties: false,
    })
  })
})
