/**
 * @module
 * Label selectors as `?labelSelector=` carries them (spec §3.3): `k=v`, `k==v`, `k!=v`, `k`, `!k`,
 * `k in (a,b)`, `k notin (a,b)`, `k>N`, `k<N`, comma = AND. Parsed once per request into a
 * predicate; an unparseable selector is a 400 with apimachinery's `unable to parse requirement`
 * wording (the exact text after it is a best effort).
 */
import { badRequest } from './status-errors.ts'

export type Labels = Readonly<Record<string, string>> | undefined

type Requirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'gt' | 'lt'; key: string; value: number }

export type LabelMatcher = (labels: Labels) => boolean

const matchAll: LabelMatcher = () => true

type Token = { type: 'id'; text: string } | { type: 'op'; text: string }

const operatorPattern = /^(==|=|!=|!|\(|\)|,|<|>)/
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const qualifiedNamePattern =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/

function tokenize(selector: string): Token[] {
  const tokens: Token[] = []
  let rest = selector
  while (rest.length > 0) {
    const space = /^\s+/.exec(rest)
    if (space) {
      rest = rest.slice(space[0].length)
      continue
    }
    const operator = operatorPattern.exec(rest)
    if (operator) {
      tokens.push({ type: 'op', text: operator[0] })
      rest = rest.slice(operator[0].length)
      continue
    }
    const identifier = /^[^\s,()=!<>]+/.exec(rest)
    if (!identifier) throw parseError(`found '${rest[0]}', expected: identifier`)
    tokens.push({ type: 'id', text: identifier[0] })
    rest = rest.slice(identifier[0].length)
  }
  return tokens
}

function parseError(detail: string) {
  return badRequest(`unable to parse requirement: ${detail}`)
}

function checkKey(key: string): string {
  if (key.length === 0 || key.length > 317 || !qualifiedNamePattern.test(key)) {
    throw badRequest(
      `unable to parse requirement: <nil>: Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    )
  }
  return key
}

function checkValue(value: string): string {
  if (value.length > 63 || !labelValuePattern.test(value)) {
    throw badRequest(
      `unable to parse requirement: values[0][${value}]: Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    )
  }
  return value
}

/** Parses a label selector; an empty or absent one matches everything. */
export function parseLabelSelector(selector: string | null | undefined): LabelMatcher {
  if (selector === null || selector === undefined || selector.trim() === '') return matchAll
  const tokens = tokenize(selector)
  const requirements: Requirement[] = []
  let index = 0
  const peek = () => tokens[index]
  const next = () => tokens[index++]
  const expectIdentifier = (what: string): string => {
    const token = next()
    if (token?.type !== 'id') throw parseError(`found '${token?.text ?? ''}', expected: ${what}`)
    return token.text
  }
  const optionalValue = (): string => {
    const token = peek()
    if (token === undefined || (token.type === 'op' && token.text === ',')) return ''
    return checkValue(expectIdentifier('identifier'))
  }
  for (;;) {
    const first = next()
    if (first === undefined) throw parseError(`found '', expected: !, identifier, or 'end of string'`)
    if (first.type === 'op' && first.text === '!') {
      requirements.push({ op: 'notexists', key: checkKey(expectIdentifier('identifier')) })
    } else if (first.type === 'id') {
      const key = checkKey(first.text)
      const operator = peek()
      if (operator === undefined || (operator.type === 'op' && operator.text === ',')) {
        requirements.push({ op: 'exists', key })
      } else if (operator.type === 'op' && (operator.text === '=' || operator.text === '==')) {
        index++
        requirements.push({ op: 'in', key, values: [optionalValue()] })
      } else if (operator.type === 'op' && operator.text === '!=') {
        index++
        requirements.push({ op: 'notin', key, values: [optionalValue()] })
      } else if (operator.type === 'op' && (operator.text === '<' || operator.text === '>')) {
        index++
        const text = expectIdentifier('identifier')
        const value = Number(text)
        if (!/^-?\d+$/.test(text)) throw parseError(`for 'Gt', 'Lt' operators, the value must be an integer`)
        requirements.push({ op: operator.text === '>' ? 'gt' : 'lt', key, value })
      } else if (operator.type === 'id' && (operator.text === 'in' || operator.text === 'notin')) {
        index++
        const open = next()
        if (open?.text !== '(') throw parseError(`found '${open?.text ?? ''}', expected: '('`)
        const values: string[] = []
        for (;;) {
          const token = next()
          if (token === undefined) throw parseError(`found '', expected: ',', ')' or identifier`)
          if (token.type === 'op' && token.text === ')' && values.length === 0) break
          if (token.type === 'id') values.push(checkValue(token.text))
          else if (token.text === ',' || token.text === ')') values.push('')
          else throw parseError(`found '${token.text}', expected: ',', ')' or identifier`)
          const after = token.type === 'id' ? next() : token
          if (after?.text === ')') break
          if (after?.text !== ',') throw parseError(`found '${after?.text ?? ''}', expected: ',' or ')'`)
        }
        if (values.length === 0) throw parseError("for 'in', 'notin' operators, values set can't be empty")
        requirements.push({ op: operator.text, key, values })
      } else {
        throw parseError(`found '${operator.text}', expected: in, notin, =, ==, !=, gt, lt`)
      }
    } else {
      throw parseError(`found '${first.text}', expected: !, identifier, or 'end of string'`)
    }
    const separator = next()
    if (separator === undefined) break
    if (separator.text !== ',')
      throw parseError(`found '${separator.text}', expected: ',' or 'end of string'`)
  }
  return (labels) => requirements.every((requirement) => matches(requirement, labels))
}

function matches(requirement: Requirement, labels: Labels): boolean {
  const value = labels?.[requirement.key]
  switch (requirement.op) {
    case 'exists':
      return value !== undefined
    case 'notexists':
      return value === undefined
    case 'in':
      return value !== undefined && requirement.values.includes(value)
    case 'notin':
      return value === undefined || !requirement.values.includes(value)
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false
      const number = Number(value)
      return requirement.op === 'gt' ? number > requirement.value : number < requirement.value
    }
  }
}
