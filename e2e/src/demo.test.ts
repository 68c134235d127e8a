import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** Runs the built demo (what the README's demo command runs) and returns what it printed. */
async function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL('../dist/demo.js', import.meta.url))
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

describe('the demo', () => {
  it('runs the flow on the testkit servers and never prints a token', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runDemo()
    expect(stderr).not.toContain('demo failed')
    expect(code).toBe(0)
    expect(stdout).toContain('same live pod?         yes (UID matches)')
    expect(stdout).toMatch(/second unwrap\s+refused \(400: wrapping token is not valid or does not exist\)/)
    expect(stdout).toMatch(/token after revoke\s+rejected \(403\)/)
    // Service tokens are "hvs." + random; JWTs start with a base64url '{"' header.
    for (const output of [stdout, stderr]) {
      expect(output).not.toMatch(/hvs\.[A-Za-z0-9_-]{20,}/)
      expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/)
    }
  })
})
