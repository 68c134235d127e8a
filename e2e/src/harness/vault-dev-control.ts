/**
 * @module
 * vault-dev's test-control API (`/__testkit/…`): seal and unseal without the key, inject faults
 * (dropped connections, error answers). A real Vault has no such hooks; the cases that need them
 * are skipped against it (docs/e2e.md).
 */
import { callTestkitControl } from './testkit-control.ts'

export class VaultDevControl {
  readonly #addr: string

  constructor(addr: string) {
    this.#addr = addr
  }

  #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return callTestkitControl(this.#addr, 'vault-dev', method, path, body)
  }

  async seal(): Promise<void> {
    await this.#call('POST', 'seal')
  }

  async unseal(): Promise<void> {
    await this.#call('POST', 'unseal')
  }

  /** A FaultSpec (packages/testkit/src/faults.ts); returns its id. */
  async addFault(fault: Record<string, unknown>): Promise<number> {
    return ((await this.#call('POST', 'faults', fault)) as { id: number }).id
  }

  async removeFault(id: number): Promise<void> {
    await this.#call('DELETE', `faults/${id}`)
  }

  async clearFaults(): Promise<void> {
    await this.#call('DELETE', 'faults')
  }
}
