/**
 * @module
 * Everything the controller and vault-init processes print during a suite, kept so the suite can
 * prove at the end that no Vault token and no JWT ever reached a log (DESIGN §5.6). Tests also read
 * the controller's audit lines from here.
 */

/** Service tokens (`hvs.`), batch tokens (`hvb.`), recovery tokens (`hvr.`): prefix + random. */
const VAULT_TOKEN = /hv[sbr]\.[A-Za-z0-9_-]{20,}/
/** A JWT starts with a base64url `{"` header. */
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/

export interface CapturedLine {
  /** Which process: `controller-1`, `vault-init shop/web-1`, … */
  source: string
  stream: 'stdout' | 'stderr'
  line: string
}

export class OutputCapture {
  readonly #lines: CapturedLine[] = []
  /** Values that must never be printed (the admin tokens of the test servers, say). */
  readonly #secrets = new Set<string>()

  record(source: string, stream: 'stdout' | 'stderr', line: string): void {
    this.#lines.push({ source, stream, line })
  }

  /** A value that must not appear in any captured line. */
  addSecret(value: string): void {
    if (value.length >= 8) this.#secrets.add(value)
  }

  lines(source?: string): CapturedLine[] {
    return source === undefined ? [...this.#lines] : this.#lines.filter((line) => line.source === source)
  }

  get size(): number {
    return this.#lines.length
  }

  /** Lines holding something shaped like a token or a JWT, or a known secret; masked for the report. */
  leaks(): string[] {
    const found: string[] = []
    for (const { source, stream, line } of this.#lines) {
      const known = [...this.#secrets].some((secret) => line.includes(secret))
      if (known || VAULT_TOKEN.test(line) || JWT.test(line)) {
        found.push(`${source} ${stream}: ${mask(line)}`)
      }
    }
    return found
  }
}

/** Keeps enough of a leaking line to find it, without repeating the secret in the test report. */
function mask(line: string): string {
  return line.replace(VAULT_TOKEN, 'hv?.<masked>').replace(JWT, '<jwt masked>').slice(0, 300)
}
