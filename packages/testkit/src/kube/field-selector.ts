/**
 * @module
 * Field selectors (`?fieldSelector=`, spec §3.3 and §8): `label=value`, `label==value`,
 * `label!=value`, comma = AND, with `\,` `\=` `\\` escapes. Each resource says which labels it
 * supports; any other label is 400 `field label not supported: <label>`.
 */
import { badRequest } from './status-errors.ts'

/** Reads the value of a supported field label from an object; undefined for unsupported labels. */
export type FieldExtractor<T> = (object: T, label: string) => string | undefined

export type FieldMatcher<T> = (object: T) => boolean

interface FieldRequirement {
  label: string
  value: string
  negate: boolean
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string
    if (char === '\\' && index + 1 < text.length) {
      current += char + (text[index + 1] as string)
      index++
    } else if (char === separator) {
      parts.push(current)
      current = ''
    } else current += char
  }
  parts.push(current)
  return parts
}

function unescapeSelectorValue(text: string): string {
  return text.replace(/\\(.)/g, '$1')
}

/**
 * Parses a field selector for a resource. `supported(label)` says whether a label exists for it;
 * the extractor reads the value when matching.
 */
export function parseFieldSelector<T>(
  selector: string | null | undefined,
  supported: (label: string) => boolean,
  extract: FieldExtractor<T>,
): FieldMatcher<T> {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true
  const requirements: FieldRequirement[] = []
  for (const part of splitUnescaped(selector, ',')) {
    const term = part.trim()
    if (term === '') continue
    const match = /^(.*?)(!=|==|=)(.*)$/.exec(term)
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`)
    const [, rawLabel = '', operator, rawValue = ''] = match
    const label = rawLabel.trim()
    if (!supported(label)) throw badRequest(`field label not supported: ${label}`)
    requirements.push({ label, value: unescapeSelectorValue(rawValue), negate: operator === '!=' })
  }
  return (object) =>
    requirements.every(({ label, value, negate }) => (extract(object, label) === value) !== negate)
}
