import { describe, expect, it } from 'vitest'
import { artifacts } from './paths.ts'
import { runNodeScript } from './processes.ts'

/** Runs the built demo (what the README's demo command runs) and returns what it printed. */
function runDemo() {
  return runNodeScript(artifacts.demo, [], 55_000)
}

describe('the demo', () => {
  it('runs the whole flow on the testkit servers and never prints a token', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runDemo()
    expect(stderr).not.toContain('demo failed')
    expect(code).toBe(0)
    // The token arrived, and its record is on the pod, in the audit trail and in an Event.
    expect(stdout).toMatch(/exit code\s+0 after \d+ ms/)
    expect(stdout).toMatch(/token\s+mode 600, \d+ bytes/)
    expect(stdout).toMatch(/policies\s+\["db-read","default","web"\]/)
    expect(stdout).toMatch(/"decision":"issued".*"tokenAccessor":"\w+"/)
    expect(stdout).toMatch(/Event Normal\s+VaultTokenIssued: /)
    expect(stdout).toMatch(/finalizers\s+\["vaultproject.io\/revoke-token"\]/)
    // The greedy pod: refused at once, nothing minted.
    expect(stdout).toMatch(/refused with\s+VC_POLICY_NOT_ALLOWED: /)
    expect(stdout).toMatch(/tokens in Vault\s+(\d+) before, \1 after/)
    expect(stdout).toMatch(/Event Warning\s+VaultTokenDenied: /)
    // Deletion revokes.
    expect(stdout).toMatch(/audit\s+revoked \w+/)
    expect(stdout).toMatch(/token in Vault\s+gone/)
    // Service tokens are "hvs." + random; JWTs start with a base64url '{"' header.
    for (const output of [stdout, stderr]) {
      expect(output).not.toMatch(/hvs\.[A-Za-z0-9_-]{20,}/)
      expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/)
    }
  })
})
