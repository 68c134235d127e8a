/**
 * @module
 * A self-signed serving certificate for kube-dev's optional TLS mode, so clients can be tested
 * with a cluster CA (client-node's `loadFromCluster` reads `ca.crt`; jose goes through an undici
 * Agent with `ca`). The certificate is its own CA and names the listen host, localhost,
 * 127.0.0.1 and `kubernetes.default.svc`.
 */
import { isIP } from 'node:net'
import selfsigned from 'selfsigned'
import type { Clock } from '../clock.ts'

export interface SelfSignedCertificate {
  certPem: string
  keyPem: string
}

export async function selfSignedCertificate(options: {
  hosts: string[]
  clock: Clock
}): Promise<SelfSignedCertificate> {
  const hosts = [...new Set(options.hosts)]
  const nowMs = options.clock.now()
  const result = await selfsigned.generate([{ name: 'commonName', value: 'kube-dev' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(nowMs - 3_600_000),
    notAfterDate: new Date(nowMs + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((host) =>
          isIP(host) === 0 ? { type: 2 as const, value: host } : { type: 7 as const, ip: host },
        ),
      },
    ],
  })
  return { certPem: result.cert, keyPem: result.private }
}
