/**
 * @module
 * A token in memory: it prints as `[REDACTED]` through `String()`, template literals, JSON and
 * `util.inspect`, so logging an object that holds one cannot leak it. `reveal()` is the one
 * deliberate way out, used where the token goes on the wire or into its file.
 */
import { inspect } from 'node:util'

export class Secret {
  #value: string

  constructor(value: string) {
    this.#value = value
  }

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
    return '[REDACTED]'
  }
}
