import { X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  certificateSha256,
  DELIVER_PATH,
  DeliverRequest,
  deliverUrl,
  parseDeliverAccepted,
  parseDeliverRequest,
} from './callback.ts'

// A throw-away self-signed certificate (public part only).
const CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIUag6AWfQHQr3xuQXC4pMvv5NiQtUwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKdmF1bHQtaW5pdDAeFw0yNjExMjIwNzMyMjFaFw0zNjExMTkw
NzMyMjFaMBUxEzARBgNVBAMMCnZhdWx0LWluaXQwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATXyUZSi5djGIIv1UU5IzJDgd+DWmhgpW76ues7cHlGiVuXxh1wKV0i
0ewro2WxBmAKKhuLFlMyR4ZCvxhYLN4Bo1MwUTAdBgNVHQ4EFgQUzKcgsHpoKLzW
YTmxZvBNTVs+/n8wHwYDVR0jBBgwFoAUzKcgsHpoKLzWYTmxZvBNTVs+/n8wDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAxbTuVLd/pKuNWVMXtTHv
foGnCNtE531AM29lYPxjS1sCIQCWrZdGlO/3vlWyFOJ+oNSXCHQB6mHHof6yfxHd
V1SovA==
-----END CERTIFICATE-----`

const wrapInfo = {
  token: 'hvs.CAESIAbcdefghijklmnopqrstuvwxyz',
  accessor: 'Xq1b2c3d4e5f6g7h8i9j0kLm',
  ttlSeconds: 60,
  creationTime: '2024-05-01T10:00:00.123456789Z',
  creationPath: 'auth/token/create/pod-tokens',
  wrappedAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm',
}

describe('certificateSha256', () => {
  it('hashes DER bytes to lowercase hex', () => {
    expect(certificateSha256(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it('matches the certificate fingerprint openssl and Node report', () => {
    const certificate = new X509Certificate(CERTIFICATE_PEM)
    expect(certificateSha256(certificate.raw)).toBe(
      '61ffabd70d6c7f9288f9d0b446f987af637825c83a6b612143a8ce33b69b8fb4',
    )
    expect(certificateSha256(certificate.raw)).toBe(
      certificate.fingerprint256.replaceAll(':', '').toLowerCase(),
    )
  })
})

describe('deliverUrl', () => {
  it('builds the HTTPS URL, bracketing IPv6', () => {
    expect(DELIVER_PATH).toBe('/v1/deliver')
    expect(deliverUrl('10.244.1.7', 9443)).toBe('https://10.244.1.7:9443/v1/deliver')
    expect(deliverUrl('fd00::7', 9443)).toBe('https://[fd00::7]:9443/v1/deliver')
    expect(new URL(deliverUrl('fd00::7', 9443)).hostname).toBe('[fd00::7]')
  })
})

describe('parseDeliverRequest', () => {
  it('accepts a request id and a wrap info', () => {
    const body = { requestId: 'req-1', wrapInfo }
    expect(parseDeliverRequest(body)).toEqual({ ok: true, value: body })
  })

  it.each([
    ['missing wrapInfo', { requestId: 'req-1' }, '(root): must have required properties wrapInfo'],
    [
      'snake_case wrap info',
      { requestId: 'r', wrapInfo: { ...wrapInfo, creation_path: 'x' } },
      'unknown property',
    ],
    [
      'zero ttl',
      { requestId: 'r', wrapInfo: { ...wrapInfo, ttlSeconds: 0 } },
      'wrapInfo.ttlSeconds: must be >= 1',
    ],
    [
      'token as accessor',
      { requestId: 'r', wrapInfo: { ...wrapInfo, accessor: wrapInfo.token } },
      'wrapInfo.accessor',
    ],
    ['bad time', { requestId: 'r', wrapInfo: { ...wrapInfo, creationTime: 'now' } }, 'wrapInfo.creationTime'],
  ])('refuses %s without echoing the token', (_, body, expected) => {
    const result = parseDeliverRequest(body)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors.join('\n')).toContain(expected)
    expect(JSON.stringify(result)).not.toContain(wrapInfo.token)
  })

  it('is strict JSON Schema', () => {
    expect(JSON.parse(JSON.stringify(DeliverRequest))).toMatchObject({
      additionalProperties: false,
      properties: { wrapInfo: { additionalProperties: false } },
    })
  })
})

describe('parseDeliverAccepted', () => {
  it('accepts the accessor of the unwrapped token and nothing more', () => {
    const body = { status: 'accepted', requestId: 'req-1', tokenAccessor: 'Ab1b2c3d4e5f6g7h8i9j0kLm' }
    expect(parseDeliverAccepted(body)).toEqual({ ok: true, value: body })
    expect(parseDeliverAccepted({ ...body, token: 'hvs.x' }).ok).toBe(false)
    expect(parseDeliverAccepted({ ...body, status: 'ok' }).ok).toBe(false)
  })
})
