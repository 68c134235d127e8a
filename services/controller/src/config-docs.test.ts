/**
 * @module
 * docs/configuration.md cannot drift from the schema: its settings table names every key of
 * {@link ConfigSchema} and nothing else. A row may name several settings (`TLS_CERT_FILE`,
 * `TLS_KEY_FILE`); every backticked upper-case name in a row's first cell counts.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CONFIG_FILE_VARIABLE, ConfigSchema } from './config.ts'

const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8')

/** The settings named in the first cell of each row of the table under `## Settings`. */
function documentedSettings(): string[] {
  const start = doc.indexOf('\n## Settings\n')
  expect(start, 'docs/configuration.md has a "## Settings" section').toBeGreaterThanOrEqual(0)
  const lines = doc.slice(start).split('\n')
  const first = lines.findIndex((line) => line.startsWith('|'))
  const names: string[] = []
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break
    const cell = line.slice(1).split('|')[0] ?? ''
    for (const match of cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.push(match[1] as string)
  }
  return names
}

describe('docs/configuration.md', () => {
  const documented = new Set(documentedSettings())
  const known = new Set([...Object.keys(ConfigSchema.properties), CONFIG_FILE_VARIABLE])

  it('documents every setting of the schema in its settings table', () => {
    const missing = Object.keys(ConfigSchema.properties).filter((key) => !documented.has(key))
    expect(missing, `settings missing from docs/configuration.md: ${missing.join(', ')}`).toEqual([])
  })

  it('documents no setting the schema does not know', () => {
    const unknown = [...documented].filter((name) => !known.has(name))
    expect(unknown, `unknown settings in docs/configuration.md: ${unknown.join(', ')}`).toEqual([])
  })

  it('documents each setting once', () => {
    const names = documentedSettings()
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([])
  })
})
