/**
 * @module
 * Identifiers vault-dev hands out: service tokens (`hvs.` + an unguessable base64url string),
 * 24-character accessors and UUID v4 request ids (spec §1.4).
 *
 * Every service token of one server starts with a per-server tag. That stands in for real
 * Vault's signature check on `hvs.` tokens: a long `hvs.` string without the tag was never
 * issued here and is refused with a bare `permission denied`, while an issued token that is
 * gone (revoked, expired) is an `invalid token` (spec §1.3).
 */
import { randomBytes, randomUUID } from 'node:crypto'

const ACCESSOR_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const ACCESSOR_LENGTH = 24

export class TokenIdFactory {
  readonly #tag: string

  constructor(tag: string = randomBytes(6).toString('base64url')) {
    this.#tag = tag
  }

  /** A new service token: `hvs.` + tag + 80 random base64url characters (~92 in all). */
  serviceToken(): string {
    return `hvs.${this.#tag}${randomBytes(60).toString('base64url')}`
  }

  /** True when the string has the shape of a token this server issued. */
  looksIssuedHere(token: string): boolean {
    return token.startsWith(`hvs.${this.#tag}`)
  }

  accessor(): string {
    const bytes = randomBytes(ACCESSOR_LENGTH)
    let accessor = ''
    for (const byte of bytes) accessor += ACCESSOR_ALPHABET[byte % ACCESSOR_ALPHABET.length]
    return accessor
  }
}

export function requestId(): string {
  return randomUUID()
}
