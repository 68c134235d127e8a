import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { deliveryErrorCodes } from './delivery-error-codes.ts'
import { type ErrorCodeInfo, errorCodes } from './error-codes.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The rows of the first table after `heading`, as `code → info`. */
function codeTable(heading: string): Record<string, ErrorCodeInfo> {
  const start = readme.indexOf(`\n${heading}\n`)
  expect(start, `README has "${heading}"`).toBeGreaterThanOrEqual(0)
  const lines = readme.slice(start + heading.length + 2).split('\n')
  const firstRow = lines.findIndex((line) => line.startsWith('|'))
  const rows = []
  for (const line of lines.slice(firstRow + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line)
  }
  return Object.fromEntries(
    rows.map((row) => {
      const [code = '', status = '', retryable = '', description = ''] = row
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim())
      return [
        code.replaceAll('`', ''),
        { status: Number(status), retryable: retryable === 'yes', description },
      ]
    }),
  )
}

describe('README', () => {
  it('lists exactly the controller codes, with their status, retryability and description', () => {
    expect(codeTable('#### Controller codes')).toEqual(errorCodes)
  })

  it('lists exactly the vault-init delivery codes', () => {
    expect(codeTable('#### vault-init delivery codes')).toEqual(deliveryErrorCodes)
  })
})
