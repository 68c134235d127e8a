import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createSigningKey,
  generateSigningKey,
  generateSigningKeySync,
  importSigningKey,
  keyIdFromPublicKey,
  signingKeyFromOptions,
} from './signing-keys.ts'

/** The kid computed without the module: SHA-256 over the SPKI DER, base64url without padding. */
function expectedKid(privateKeyPem: string): string {
  const spkiDer = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' })
  return createHash('sha256')
    .update(spkiDer)
    .digest()
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

const rsaPkcs8Pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string

describe('keyIdFromPublicKey', () => {
  it('is base64url(SHA-256(SPKI DER)), not the RFC 7638 thumbprint', async () => {
    const key = importSigningKey(rsaPkcs8Pem)
    expect(key.kid).toBe(expectedKid(rsaPkcs8Pem))
    expect(keyIdFromPublicKey(key.publicKey)).toBe(key.kid)
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key.kid).not.toBe(await calculateJwkThumbprint(key.publicKey))
  })
})

describe('importSigningKey', () => {
  it('publishes an RSA key as {use, kty, kid, alg, n, e} in that order', () => {
    const key = importSigningKey(rsaPkcs8Pem)
    expect(key.algorithm).toBe('RS256')
    expect(Object.keys(key.publicJwk)).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e'])
    expect(key.publicJwk).toMatchObject({ use: 'sig', kty: 'RSA', kid: key.kid, alg: 'RS256', e: 'AQAB' })
    // 2048-bit modulus: 256 bytes → 342 base64url characters.
    expect(key.publicJwk.n).toHaveLength(342)
    expect(key.publicJwk).not.toHaveProperty('d')
  })

  it('accepts PKCS#1 RSA and SEC1 EC PEMs and derives the algorithm from the key', () => {
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    })
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY')
    expect(importSigningKey(pkcs1 as string).kid).toBe(expectedKid(pkcs1 as string))
    expect(importSigningKey(rsaPkcs8Pem).kid).toBe(expectedKid(rsaPkcs8Pem))
    for (const [namedCurve, algorithm, crv] of [
      ['prime256v1', 'ES256', 'P-256'],
      ['secp384r1', 'ES384', 'P-384'],
      ['secp521r1', 'ES512', 'P-521'],
    ] as const) {
      const sec1 = generateKeyPairSync('ec', { namedCurve }).privateKey.export({
        type: 'sec1',
        format: 'pem',
      }) as string
      const key = importSigningKey(sec1)
      expect(key.algorithm).toBe(algorithm)
      expect(key.kid).toBe(expectedKid(sec1))
      expect(Object.keys(key.publicJwk)).toEqual(['use', 'kty', 'kid', 'crv', 'alg', 'x', 'y'])
      expect(key.publicJwk).toMatchObject({ use: 'sig', kty: 'EC', kid: key.kid, crv, alg: algorithm })
    }
  })

  it('refuses a PEM whose key does not match the requested algorithm', () => {
    expect(() => importSigningKey(rsaPkcs8Pem, 'ES256')).toThrow(/holds a RS256 key but algorithm ES256/)
  })

  it('refuses unreadable PEMs without echoing them, and unsupported key types', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n'
    let message = ''
    try {
      importSigningKey(garbage)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toBe('signing key: privateKeyPem is not a readable private key PEM')
    const ed25519 = generateKeyPairSync('ed25519').privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string
    expect(() => importSigningKey(ed25519)).toThrow(/unsupported key type ed25519/)
  })
})

describe('generating keys', () => {
  it('makes RSA-2048 by default and fresh keys each time', async () => {
    const first = generateSigningKeySync()
    const second = await generateSigningKey()
    expect(first.algorithm).toBe('RS256')
    expect(first.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
    expect(second.algorithm).toBe('RS256')
    expect(first.kid).not.toBe(second.kid)
  })

  it('makes EC keys on the curve of the algorithm', async () => {
    expect(generateSigningKeySync('ES256').publicJwk.crv).toBe('P-256')
    expect((await generateSigningKey('ES384')).publicJwk.crv).toBe('P-384')
    expect((await createSigningKey({ algorithm: 'ES512' })).publicJwk.crv).toBe('P-521')
  })

  it('prefers a given PEM over generation', async () => {
    expect(signingKeyFromOptions({ privateKeyPem: rsaPkcs8Pem }).kid).toBe(expectedKid(rsaPkcs8Pem))
    expect((await createSigningKey({ privateKeyPem: rsaPkcs8Pem })).kid).toBe(expectedKid(rsaPkcs8Pem))
  })
})
