/**
 * @module
 * docs/operator-guide.md cannot drift from the code it documents:
 * - its troubleshooting tables list exactly the codes of packages/protocol's catalogues (`VC_…`,
 *   `VI_…`), with their status and retryability, and every vault-init exit code;
 * - its `vault` CLI commands are exactly the calls `setup-vault` makes for the command it shows
 *   (run here in dry-run mode), and its HCL is the policy that command writes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deliveryErrorCodes, type ErrorCodeInfo, errorCodes } from '@vault-controller/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { parseVaultDurationSeconds } from './policy/index.ts'
import { parseCommand } from './setup/cli.ts'
import { type SetupStep, setupVault } from './setup/setup-vault.ts'

const guide = readFileSync(new URL('../../../docs/operator-guide.md', import.meta.url), 'utf8')
const exitCodesSource = readFileSync(
  new URL('../../../packages/vault-init/src/exit-codes.ts', import.meta.url),
  'utf8',
)

/** The rows of the first table after `heading`, as lists of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = guide.indexOf(`\n${heading}\n`)
  expect(start, `the guide has "${heading}"`).toBeGreaterThanOrEqual(0)
  const lines = guide.slice(start + heading.length + 2).split('\n')
  const first = lines.findIndex((line) => line.startsWith('|'))
  const rows: string[][] = []
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    )
  }
  return rows
}

/** code → status and retryability, as the table says. */
function codeTable(heading: string): Record<string, Omit<ErrorCodeInfo, 'description'>> {
  return Object.fromEntries(
    tableAfter(heading).map(([code = '', status = '', retryable = '']) => [
      code.replaceAll('`', ''),
      { status: Number(status), retryable: retryable === 'yes' },
    ]),
  )
}

function withoutDescriptions(catalogue: Record<string, ErrorCodeInfo>) {
  return Object.fromEntries(
    Object.entries(catalogue).map(([code, { status, retryable }]) => [code, { status, retryable }]),
  )
}

/** The fenced block that follows the `<!-- operator-guide:<marker> … -->` comment. */
function markedBlock(marker: string): string {
  const at = guide.indexOf(`<!-- operator-guide:${marker}`)
  expect(at, `the guide has the marker ${marker}`).toBeGreaterThanOrEqual(0)
  const open = guide.indexOf('```', at)
  const bodyStart = guide.indexOf('\n', open) + 1
  return guide.slice(bodyStart, guide.indexOf('\n```', bodyStart) + 1)
}

/** Shell lines with `\` continuations joined and comments dropped. */
function commandLines(block: string): string[] {
  return block
    .replaceAll(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** Splits a command line into words: single and double quotes, no expansion. */
function shellWords(line: string): string[] {
  const words: string[] = []
  for (const match of line.matchAll(/(?:'[^']*'|"[^"]*"|[^\s'"])+/g)) {
    words.push(match[0].replaceAll(/'([^']*)'|"([^"]*)"/g, (_, single, double) => single ?? double ?? ''))
  }
  return words
}

interface Call {
  path: string
  body: Record<string, string>
}

/** A `vault` CLI command as the API call it makes; the policy body is compared separately. */
function vaultCall(words: string[]): Call {
  const [vault, verb, ...rest] = words
  expect(vault).toBe('vault')
  if (verb === 'write') {
    const [path = '', ...pairs] = rest
    return {
      path,
      body: Object.fromEntries(
        pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    }
  }
  if (verb === 'policy' && rest[0] === 'write') return { path: `sys/policies/acl/${rest[1]}`, body: {} }
  if (verb === 'auth' && rest[0] === 'enable') {
    const type = rest.at(-1) ?? ''
    const path = rest.find((word) => word.startsWith('-path='))?.slice('-path='.length) ?? type
    return { path: `sys/auth/${path}`, body: { type } }
  }
  throw new Error(`unexpected command: ${words.join(' ')}`)
}

/** A dry-run step in the CLI's terms: lists comma-joined, scalars as text. */
function stepCall(step: SetupStep): Call {
  if (step.path.startsWith('sys/policies/acl/')) return { path: step.path, body: {} }
  return {
    path: step.path,
    body: Object.fromEntries(
      Object.entries(step.body ?? {}).map(([key, value]) => [
        key,
        Array.isArray(value) ? value.join(',') : String(value),
      ]),
    ),
  }
}

/** The CLI value means what the step sends: same text, same duration, or a file for a PEM. */
function sameValue(cli: string | undefined, sent: string): boolean {
  if (cli === sent) return true
  if (cli === undefined) return false
  if (sent.startsWith('<PEM')) return cli.startsWith('@')
  if (/^\d+s?$/.test(sent) && /^[\d.]+[a-z]*$/.test(cli)) {
    return parseVaultDurationSeconds(cli) === parseVaultDurationSeconds(sent)
  }
  return false
}

const scratch = mkdtempSync(join(tmpdir(), 'operator-guide-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Runs the guide's `setup-vault` command in dry-run mode (files it names replaced by stand-ins). */
async function plannedSetup() {
  const [line] = commandLines(markedBlock('setup-vault-command')).filter((text) =>
    text.includes(' setup-vault '),
  )
  expect(line, 'the guide shows a setup-vault command').toBeDefined()
  const words = shellWords(line ?? '')
  const args = words.slice(words.indexOf('setup-vault') + 1)
  const ca = join(scratch, 'ca.crt')
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n')
  for (const fileOption of ['--kubernetes-ca-file', '--ca-file']) {
    const at = args.indexOf(fileOption)
    if (at >= 0) args[at + 1] = ca
  }
  const { options } = parseCommand([...args, '--dry-run'], {})
  return setupVault(options)
}

describe('docs/operator-guide.md troubleshooting', () => {
  it('lists exactly the controller codes of the catalogue, with status and retryability', () => {
    expect(codeTable('### Controller codes (`VC_…`)')).toEqual(withoutDescriptions(errorCodes))
  })

  it('lists exactly the vault-init delivery codes of the catalogue', () => {
    expect(codeTable('### vault-init delivery codes (`VI_…`)')).toEqual(
      withoutDescriptions(deliveryErrorCodes),
    )
  })

  it('says what to do for every code', () => {
    for (const heading of ['### Controller codes (`VC_…`)', '### vault-init delivery codes (`VI_…`)']) {
      for (const [code, , , meaning, todo] of tableAfter(heading)) {
        expect(meaning, `${code}: meaning`).not.toBe('')
        expect(todo, `${code}: what to do`).not.toBe('')
      }
    }
  })

  it('lists every vault-init exit code', () => {
    const codes = [...exitCodesSource.matchAll(/^\s+[A-Z_]+: (\d+),$/gm)].map((match) => Number(match[1]))
    expect(codes.length).toBeGreaterThan(5)
    const documented = tableAfter('### vault-init exit codes').map(([exit]) => Number(exit))
    expect(documented.sort((a, b) => a - b)).toEqual([...new Set(codes)].sort((a, b) => a - b))
  })
})

describe('docs/operator-guide.md Vault setup', () => {
  it('gives the vault CLI equivalent of exactly what its setup-vault command does', async () => {
    const planned = await plannedSetup()
    const cli = commandLines(markedBlock('vault-cli')).map((line) => vaultCall(shellWords(line)))
    const steps = planned.steps.map(stepCall)
    expect(cli.map((call) => call.path)).toEqual(steps.map((step) => step.path))
    for (const [index, step] of steps.entries()) {
      const call = cli[index] as Call
      expect(Object.keys(call.body).sort(), step.path).toEqual(Object.keys(step.body).sort())
      for (const [key, sent] of Object.entries(step.body)) {
        expect(sameValue(call.body[key], sent), `${step.path} ${key}=${call.body[key]} vs ${sent}`).toBe(true)
      }
    }
  })

  it('shows the policy that command writes, word for word', async () => {
    const planned = await plannedSetup()
    expect(markedBlock('controller-policy')).toBe(planned.policyHcl)
    expect(guide).toContain(`vault policy write ${planned.policyName} `)
  })
})
