/**
 * @module
 * Identity tokens an attacker (or a clock) could produce: the cluster's own token with changed
 * claims, re-signed with the cluster's real signing key (so only the claim is wrong: "expired but
 * validly signed"), or signed with another key under the same `kid` (a forged signature). kube-dev
 * is started with a signing key generated per run, which is what makes the first kind possible.
 */
import { generateKeyPairSync } from 'node:crypto'
import { CompactSign, decodeJwt, decodeProtectedHeader, importPKCS8, type JWTPayload } from 'jose'

/** A fresh RSA private key (PKCS#8 PEM), as kube-apiserver's `--service-account-signing-key-file`. */
export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** Re-signs `token` with `keyPem` (RS256, the token's own `kid`) after `change` edited its claims. */
export async function resign(
  token: string,
  keyPem: string,
  change: (claims: JWTPayload) => JWTPayload = (claims) => claims,
): Promise<string> {
  const header = decodeProtectedHeader(token)
  const claims = change(structuredClone(decodeJwt(token)))
  const key = await importPKCS8(keyPem, 'RS256')
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'RS256', ...(header.kid === undefined ? {} : { kid: header.kid }) })
    .sign(key)
}

/** The same token with its validity window moved `seconds` into the past. */
export function backdated(seconds: number): (claims: JWTPayload) => JWTPayload {
  return (claims) => ({
    ...claims,
    ...(claims.iat === undefined ? {} : { iat: claims.iat - seconds }),
    ...(claims.nbf === undefined ? {} : { nbf: claims.nbf - seconds }),
    ...(claims.exp === undefined ? {} : { exp: claims.exp - seconds }),
  })
}
