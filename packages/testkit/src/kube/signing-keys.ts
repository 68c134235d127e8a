/**
 * @module
 * The key material behind kube-dev's service-account tokens: generating or importing a
 * signing key, deriving its `kid` the way kube-apiserver does, and publishing it as a JWK.
 *
 * kube-apiserver's `kid` is base64url(SHA-256(DER SubjectPublicKeyInfo)), not the RFC 7638
 * thumbprint, and its JWKS entries carry `use`, `kty`, `kid`, (`crv`,) `alg` and the public
 * parameters in that order (spec §5, §6). Keys are held as node:crypto `KeyObject`s, which
 * jose accepts directly and converts to WebCrypto keys once (it caches them per object).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import { promisify } from 'node:util'

/** The JWS algorithms kube-apiserver signs service-account tokens with. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512'

/** Every algorithm a verifier of Kubernetes tokens should allow. */
export const signingAlgorithms: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'ES384', 'ES512']

export interface SigningKeyOptions {
  /** Algorithm of a generated key (default RS256 with RSA-2048); with a PEM, must match the key's type. */
  algorithm?: SigningAlgorithm
  /** A fixed private key (PKCS#8, PKCS#1 RSA or SEC1 EC PEM) for reproducible runs. */
  privateKeyPem?: string
}

/** A private key ready to sign, with its public half, `kid` and JWK. */
export interface SigningKey {
  readonly kid: string
  readonly algorithm: SigningAlgorithm
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The JWKS entry: `{use, kty, kid, alg, n, e}` for RSA, `{use, kty, kid, crv, alg, x, y}` for EC. */
  readonly publicJwk: Readonly<Record<string, string>>
}

const curveOfAlgorithm = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const
const algorithmOfCurve: Record<string, SigningAlgorithm> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
}

/** kube-apiserver's key id: base64url (no padding) of SHA-256 over the DER SubjectPublicKeyInfo. */
export function keyIdFromPublicKey(publicKey: KeyObject): string {
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(spkiDer).digest('base64url')
}

/** Generates a fresh key synchronously (RSA-2048 takes some tens of milliseconds). */
export function generateSigningKeySync(algorithm: SigningAlgorithm = 'RS256'): SigningKey {
  const { privateKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: curveOfAlgorithm[algorithm] })
  return signingKeyFromPrivateKey(privateKey, algorithm)
}

const generateKeyPairAsync = promisify(generateKeyPair)

/** Generates a fresh key without blocking the event loop. */
export async function generateSigningKey(algorithm: SigningAlgorithm = 'RS256'): Promise<SigningKey> {
  const { privateKey } =
    algorithm === 'RS256'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: curveOfAlgorithm[algorithm] })
  return signingKeyFromPrivateKey(privateKey, algorithm)
}

/**
 * Imports a private key PEM. The algorithm follows from the key (RSA → RS256, P-256/384/521 →
 * ES256/384/512); an `expected` algorithm that disagrees is a configuration error.
 */
export function importSigningKey(privateKeyPem: string, expected?: SigningAlgorithm): SigningKey {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' })
  } catch (error) {
    // The PEM itself never goes into the message.
    throw new Error('signing key: privateKeyPem is not a readable private key PEM', { cause: error })
  }
  const algorithm = algorithmOfKey(privateKey)
  if (expected !== undefined && expected !== algorithm) {
    throw new Error(`signing key: the PEM holds a ${algorithm} key but algorithm ${expected} was asked for`)
  }
  return signingKeyFromPrivateKey(privateKey, algorithm)
}

/** The key described by options, synchronously: the PEM if given, else a fresh key. */
export function signingKeyFromOptions(options: SigningKeyOptions = {}): SigningKey {
  return options.privateKeyPem !== undefined
    ? importSigningKey(options.privateKeyPem, options.algorithm)
    : generateSigningKeySync(options.algorithm)
}

/** The key described by options, generating without blocking the event loop. */
export async function createSigningKey(options: SigningKeyOptions = {}): Promise<SigningKey> {
  return options.privateKeyPem !== undefined
    ? importSigningKey(options.privateKeyPem, options.algorithm)
    : generateSigningKey(options.algorithm)
}

function algorithmOfKey(privateKey: KeyObject): SigningAlgorithm {
  if (privateKey.asymmetricKeyType === 'rsa') return 'RS256'
  if (privateKey.asymmetricKeyType === 'ec') {
    const crv = privateKey.export({ format: 'jwk' }).crv
    const algorithm = crv === undefined ? undefined : algorithmOfCurve[crv]
    if (algorithm !== undefined) return algorithm
    throw new Error(`signing key: unsupported EC curve ${crv ?? '(unknown)'}, must be P-256, P-384 or P-521`)
  }
  throw new Error(
    `signing key: unsupported key type ${privateKey.asymmetricKeyType ?? '(unknown)'}, must be RSA or EC`,
  )
}

function signingKeyFromPrivateKey(privateKey: KeyObject, algorithm: SigningAlgorithm): SigningKey {
  const publicKey = createPublicKey(privateKey)
  const kid = keyIdFromPublicKey(publicKey)
  const jwk = publicKey.export({ format: 'jwk' })
  const publicJwk: Record<string, string> =
    algorithm === 'RS256'
      ? { use: 'sig', kty: 'RSA', kid, alg: algorithm, n: required(jwk.n), e: required(jwk.e) }
      : {
          use: 'sig',
          kty: 'EC',
          kid,
          crv: required(jwk.crv),
          alg: algorithm,
          x: required(jwk.x),
          y: required(jwk.y),
        }
  return { kid, algorithm, privateKey, publicKey, publicJwk: Object.freeze(publicJwk) }
}

function required(value: string | undefined): string {
  if (value === undefined) throw new Error('signing key: the exported JWK lacks a public parameter')
  return value
}
