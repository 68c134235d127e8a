import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./vault-dev.ts', import.meta.url))
let child: ChildProcess | undefined

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
})

function firstLine(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    process.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const newline = buffered.indexOf('\n')
      if (newline >= 0) resolve(buffered.slice(0, newline))
    })
    process.once('exit', (code) => reject(new Error(`vault-dev exited with ${code} before it was ready`)))
  })
}

describe('vault-dev CLI', () => {
  it('prints exactly one JSON line with addr and rootToken, serves, and stops on SIGTERM', async () => {
    const startedMs = Date.now()
    child = spawn(
      process.execPath,
      ['--conditions=source', script, '--port', '0', '--root-token', 'cli-root', '--unseal-key', 'a2V5'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    const line = await firstLine(child)
    expect(Date.now() - startedMs).toBeLessThan(5000)
    const ready = JSON.parse(line)
    expect(Object.keys(ready)).toEqual(['addr', 'rootToken'])
    expect(ready.rootToken).toBe('cli-root')
    expect(ready.addr).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const health = await fetch(`${ready.addr}/v1/sys/health`)
    expect(health.status).toBe(200)
    await fetch(`${ready.addr}/__testkit/seal`, { method: 'POST' })
    const unseal = await fetch(`${ready.addr}/v1/sys/unseal`, {
      method: 'PUT',
      body: JSON.stringify({ key: 'a2V5' }),
    })
    expect(((await unseal.json()) as { sealed: boolean }).sealed).toBe(false)

    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
    expect(stdout).toBe(`${line}\n`)
  })

  it('refuses an unknown flag with exit code 2', async () => {
    child = spawn(process.execPath, ['--conditions=source', script, '--bogus'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
  })
})
