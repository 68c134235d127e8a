/**
 * @module
 * A token in memory. Logging, serialising or interpolating a `Secret` shows `[REDACTED]`; only
 * `reveal()` gives the value, at the one place it is sent on. Log redaction (see `app.ts`) is the
 * second layer; this type is the first.
 */
import { inspect } from 'node:util'

export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  /** The value itself: call only where it leaves the process (a header, a callback body). */
  reveal(): string {
    return this.#value
  }

  toJSON(): string {
    return '[REDACTED]'
  }

  toString(): string {
    return '[REDACTED]'
  }

  [inspect.custom](): string {
    return 'Secret([REDACTED])'
  }
}
