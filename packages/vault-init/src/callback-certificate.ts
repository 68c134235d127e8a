/**
 * @module
 * The callback listener's identity: an ECDSA P-256 key pair made at start and a self-signed
 * certificate for it, both only in memory. The controller pins the certificate by the SHA-256
 * of its DER bytes (`certSha256`), so nothing here needs a CA, a host name or a long life.
 *
 * Built with Node's own crypto and a small DER encoder rather than a certificate library:
 * `@peculiar/x509` adds ~340 KB to the bundle and needs a Reflect polyfill, `selfsigned` 5 pulls
 * it in plus `pkijs`; the certificate here is one fixed shape, checked by Node's X.509 parser
 * and a real TLS handshake in the tests.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { certificateSha256 } from '@vault-controller/protocol'
import {
  derBitString,
  derBoolean,
  derExplicit,
  derObjectIdentifier,
  derOctetString,
  derSequence,
  derSet,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from './der.ts'

export interface CallbackCertificate {
  /** PKCS#8 PEM of the private key, for `https.createServer`; never written anywhere. */
  keyPem: string
  certPem: string
  certDer: Uint8Array
  /** `certificateSha256(certDer)`: what the token request pins. */
  certSha256: string
}

export interface CallbackCertificateOptions {
  commonName?: string
  now?: Date
  /** Default one day; the run's deadline is far shorter. */
  validityMs?: number
}

const ECDSA_WITH_SHA256 = derSequence(derObjectIdentifier('1.2.840.10045.4.3.2'))
const TLS_SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
/** Allow for a pod clock slightly behind the controller's. */
const BACKDATE_MS = 5 * 60_000

/** Makes a fresh key pair and a self-signed certificate for it. */
export function createCallbackCertificate(options: CallbackCertificateOptions = {}): CallbackCertificate {
  const { commonName = 'vault-init', now = new Date(), validityMs = 24 * 3_600_000 } = options
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const name = derSequence(derSet(derSequence(derObjectIdentifier('2.5.4.3'), derUtf8String(commonName))))
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f || 0x01
  const extensions = derExplicit(
    3,
    derSequence(
      // basicConstraints (critical): not a CA.
      derSequence(derObjectIdentifier('2.5.29.19'), derBoolean(true), derOctetString(derSequence())),
      // extKeyUsage: TLS server only.
      derSequence(
        derObjectIdentifier('2.5.29.37'),
        derOctetString(derSequence(derObjectIdentifier(TLS_SERVER_AUTH))),
      ),
    ),
  )
  const tbsCertificate = derSequence(
    derExplicit(0, derUnsignedInteger(Uint8Array.of(2))),
    derUnsignedInteger(serial),
    ECDSA_WITH_SHA256,
    name,
    derSequence(
      derTime(new Date(now.getTime() - BACKDATE_MS)),
      derTime(new Date(now.getTime() + validityMs)),
    ),
    name,
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    extensions,
  )
  const signature = sign('sha256', tbsCertificate, { key: privateKey, dsaEncoding: 'der' })
  const certDer = derSequence(tbsCertificate, ECDSA_WITH_SHA256, derBitString(new Uint8Array(signature)))
  const base64 = Buffer.from(certDer)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
    certDer,
    certSha256: certificateSha256(certDer),
  }
}
