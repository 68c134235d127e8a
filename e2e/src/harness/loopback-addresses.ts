/**
 * @module
 * Pod IPs for simulated pods. Linux routes all of 127.0.0.0/8 to the loopback interface, so each
 * pod gets its own address and the controller's callback really goes to that pod's listener
 * (DESIGN §7). Addresses are unique within a run; across concurrently running suites (vitest runs
 * files in parallel workers) a random second octet per allocator and a probe of the callback port
 * keep them apart.
 */
import { randomInt } from 'node:crypto'
import { createServer } from 'node:net'

export class LoopbackAddresses {
  readonly #secondOctet: number
  #next = 0

  constructor(secondOctet = randomInt(16, 250)) {
    this.#secondOctet = secondOctet
  }

  /** The next unused address whose `port` is free (127.<random>.<x>.<y>, never .0 or .255). */
  async allocate(port: number): Promise<string> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const index = this.#next++
      const third = Math.floor(index / 254)
      if (third > 255) throw new Error('no loopback addresses left in this run')
      const address = `127.${this.#secondOctet}.${third}.${(index % 254) + 1}`
      if (await isFree(address, port)) return address
    }
    throw new Error(`no free loopback address with port ${port}`)
  }
}

async function isFree(address: string, port: number): Promise<boolean> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}
