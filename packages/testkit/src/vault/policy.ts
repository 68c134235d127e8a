/**
 * @module
 * Vault ACL policy documents: parsing the HCL (version 1) and JSON syntaxes into path rules,
 * and the built-in `default` and `response-wrapping` policies.
 *
 * Vault parses policies with hashicorp/hcl v1, which has no maintained JavaScript port, so
 * this is a small hand-written parser for the subset policies use (blocks, lists, strings,
 * numbers, booleans, `#` `//` and block comments); heredocs are not supported. The checks
 * after parsing follow vault/policy.go (`parsePaths`), and the error texts reuse Vault's
 * wording. The HTTP endpoint prefixes every message with `failed to parse policy: `.
 */
import { DurationError, parseDurationNanoseconds } from './duration.ts'
import { goQuote } from './policy-names.ts'

/** A policy text Vault would refuse; the message follows Vault's (without its prefix). */
export class PolicyParseError extends Error {}

export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny'

const CAPABILITIES: ReadonlySet<string> = new Set<Capability>([
  'create',
  'read',
  'update',
  'patch',
  'delete',
  'list',
  'sudo',
  'deny',
])

/** Pre-capabilities `policy = "..."` values (still accepted by Vault). */
const OLD_STYLE_POLICIES: Readonly<Record<string, readonly Capability[]>> = {
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
}

export interface PathRule {
  /** The path as written, without a leading `/` (a trailing `*` and `+` segments kept). */
  path: string
  /** `['deny']` alone when the rule denies. */
  capabilities: Capability[]
  /** Present only when set (non-zero); negative values are kept, the ACL ignores them like Vault. */
  minWrappingTtlSeconds?: number
  maxWrappingTtlSeconds?: number
}

export interface ParsedPolicy {
  rules: PathRule[]
}

/**
 * Parses a policy document (HCL, or JSON when the text starts with `{`).
 * @throws PolicyParseError
 */
export function parsePolicy(text: string): ParsedPolicy {
  const items = /^\s*\{/.test(text)
    ? new JsonParser(text).parseDocument()
    : new HclParser(text).parseDocument()
  const keyErrors = items
    .filter((item) => !['name', 'path'].includes(keyText(item.keys[0])))
    .map((item) => `invalid key ${goQuote(keyText(item.keys[0]))} on line ${item.assignLine}`)
  if (keyErrors.length > 0) throw new PolicyParseError(multiError(keyErrors))
  const rules: PathRule[] = []
  for (const item of items) {
    if (keyText(item.keys[0]) !== 'path') continue
    const name = item.keys.length > 1 ? keyText(item.keys[1]) : 'path'
    rules.push(parsePathBlock(name, item.value))
  }
  return { rules }
}

const PATH_BLOCK_KEYS = new Set([
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  'mfa_methods',
  'control_group',
])

function parsePathBlock(name: string, block: Node): PathRule {
  const prefix = `path ${goQuote(name)}:`
  if (block.kind !== 'object') {
    throw new PolicyParseError(`${prefix} cannot check HCL keys of type ${goAstType(block)}`)
  }
  const keyErrors = block.items
    .filter((item) => !PATH_BLOCK_KEYS.has(keyText(item.keys[0])))
    .map((item) => `${prefix} invalid key ${goQuote(keyText(item.keys[0]))} on line ${item.assignLine}`)
  if (keyErrors.length > 0) throw new PolicyParseError(multiError(keyErrors))

  const fields = new Map<string, Item[]>()
  for (const item of block.items) {
    const key = keyText(item.keys[0])
    fields.set(key, [...(fields.get(key) ?? []), item])
  }
  const decode = <T>(field: string, decoder: (node: Node, fieldName: string) => T): T | undefined => {
    const found = fields.get(field)
    if (found === undefined) return undefined
    const first = found[0] as Item
    if (found.length > 1) {
      const second = found[1] as Item
      throw new PolicyParseError(
        `${prefix} ${at(second.keys[0]?.pos ?? second.value.pos)}duplicate key ${goQuote(field)}`,
      )
    }
    try {
      return decoder(first.value, `root.${field}`)
    } catch (error) {
      if (error instanceof HclError) throw new PolicyParseError(`${prefix} ${error.message}`)
      throw error
    }
  }
  const oldStyle = decode('policy', decodeString)
  let capabilities: string[] = decode('capabilities', decodeStringList) ?? []
  const minWrapping = decode('min_wrapping_ttl', decodeRaw)
  const maxWrapping = decode('max_wrapping_ttl', decodeRaw)
  const allowedParameters = decode('allowed_parameters', decodeParameterMap)
  const deniedParameters = decode('denied_parameters', decodeParameterMap)
  decode('required_parameters', decodeStringList)
  decode('mfa_methods', decodeStringList)
  decode('control_group', (node) => node)

  const path = name.startsWith('/') ? name.slice(1) : name
  if (path.includes('+*')) {
    throw new PolicyParseError(`path ${goQuote(path)}: invalid use of wildcards ('+*' is forbidden)`)
  }
  // Like Vault, a '*' anywhere but at the end is no glob: it is kept and matched literally.
  if (oldStyle !== undefined && oldStyle !== '') {
    if (oldStyle === 'deny') capabilities = ['deny']
    else {
      const mapped = OLD_STYLE_POLICIES[oldStyle]
      if (mapped === undefined) throw new PolicyParseError(`${prefix} invalid policy ${goQuote(oldStyle)}`)
      capabilities = [...capabilities, ...mapped]
    }
  }
  const granted: Capability[] = []
  for (const capability of capabilities) {
    if (capability === 'deny') return { path, capabilities: ['deny'] }
    if (!CAPABILITIES.has(capability)) {
      throw new PolicyParseError(`${prefix} invalid capability ${goQuote(capability)}`)
    }
    if (!granted.includes(capability as Capability)) granted.push(capability as Capability)
  }
  for (const [label, parameters] of [
    ['allowed_parameters', allowedParameters],
    ['denied_parameters', deniedParameters],
  ] as const) {
    for (const key of parameters ?? []) {
      if (key.includes('*') && key !== '*' && !(key.startsWith('/') && /^[^*]*\/\*$/.test(key))) {
        throw new PolicyParseError(
          `path ${goQuote(path)}: ${label}: parameter key ${goQuote(key)} cannot contain non-tail wildcards`,
        )
      }
    }
  }
  const minNanos = wrappingTtl('min_wrapping_ttl', minWrapping)
  const maxNanos = wrappingTtl('max_wrapping_ttl', maxWrapping)
  if (minNanos !== 0n && maxNanos !== 0n && maxNanos < minNanos) {
    throw new PolicyParseError('max_wrapping_ttl cannot be less than min_wrapping_ttl')
  }
  const rule: PathRule = { path, capabilities: granted }
  if (minNanos !== 0n) rule.minWrappingTtlSeconds = Number(minNanos / 1_000_000_000n)
  if (maxNanos !== 0n) rule.maxWrappingTtlSeconds = Number(maxNanos / 1_000_000_000n)
  return rule
}

/** parseutil.ParseDurationSecond over what HCL decodes into an `interface{}`. */
function wrappingTtl(field: string, value: unknown): bigint {
  try {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      // A float64 is cut to whole seconds by time.Duration(f) * time.Second.
      return BigInt(Math.trunc(value)) * 1_000_000_000n
    }
    if (value !== undefined && value !== null && typeof value !== 'string' && typeof value !== 'number') {
      throw new DurationError('could not parse duration from input')
    }
    return parseDurationNanoseconds(value)
  } catch (error) {
    if (error instanceof DurationError) throw new PolicyParseError(`error parsing ${field}: ${error.message}`)
    throw error
  }
}

function decodeString(node: Node, fieldName: string): string {
  if (node.kind === 'literal' && (node.tokenType === 'STRING' || node.tokenType === 'NUMBER')) {
    return node.tokenType === 'STRING' ? String(node.value) : node.text
  }
  throw new HclError(node.pos, `${fieldName}: unknown type for string ${goAstType(node)}`)
}

function decodeStringList(node: Node, fieldName: string): string[] {
  if (node.kind !== 'list') throw new HclError(node.pos, `unknown slice type: ${goAstType(node)}`)
  return node.elements.map((element, index) => decodeString(element, `${fieldName}[${index}]`))
}

function decodeRaw(node: Node): unknown {
  if (node.kind === 'literal') return node.value
  return node.kind === 'list' ? [] : {}
}

/** `map[string][]interface{}`: returns the parameter names. */
function decodeParameterMap(node: Node, fieldName: string): string[] {
  if (node.kind !== 'object')
    throw new HclError(node.pos, `${fieldName}: not an object type for map (${goAstType(node)})`)
  return node.items.map((item) => {
    if (item.value.kind !== 'list')
      throw new HclError(item.value.pos, `unknown slice type: ${goAstType(item.value)}`)
    return keyText(item.keys[0])
  })
}

function goAstType(node: Node): string {
  return { object: '*ast.ObjectType', list: '*ast.ListType', literal: '*ast.LiteralType' }[node.kind]
}

/** go-multierror's format, which Vault passes through. */
function multiError(messages: readonly string[]): string {
  if (messages.length === 1) return `1 error occurred:\n\t* ${messages[0]}\n\n`
  return `${messages.length} errors occurred:\n\t${messages.map((m) => `* ${m}`).join('\n\t')}\n\n`
}

// ---------------------------------------------------------------------------------------------
// Syntax: a token stream and two small recursive-descent parsers producing HCL's object model.

interface Position {
  offset: number
  line: number
  column: number
}

type TokenType =
  | 'IDENT'
  | 'STRING'
  | 'NUMBER'
  | 'FLOAT'
  | 'BOOL'
  | 'NULL'
  | 'LBRACE'
  | 'RBRACE'
  | 'LBRACK'
  | 'RBRACK'
  | 'COMMA'
  | 'ASSIGN'
  | 'PERIOD'
  | 'ADD'
  | 'SUB'
  | 'EOF'

interface Token {
  type: TokenType
  text: string
  value: string | number | boolean | null
  pos: Position
}

type Node =
  | { kind: 'object'; items: Item[]; pos: Position }
  | { kind: 'list'; elements: Node[]; pos: Position }
  | {
      kind: 'literal'
      tokenType: TokenType
      value: string | number | boolean | null
      text: string
      pos: Position
    }

interface Item {
  keys: Token[]
  /** Line of the `=` (or JSON `:`); 0 for a block without one, as in HCL's ast.ObjectItem. */
  assignLine: number
  value: Node
}

/** hcl's parser.PosError. */
class HclError extends PolicyParseError {
  constructor(pos: Position, message: string) {
    super(`${at(pos)}${message}`)
  }
}

function at(pos: Position): string {
  return `At ${pos.line}:${pos.column}: `
}

function keyText(token: Token | undefined): string {
  if (token === undefined) return ''
  return typeof token.value === 'string' ? token.value : token.text
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
}

const PUNCTUATION: Readonly<Record<string, TokenType>> = {
  '{': 'LBRACE',
  '}': 'RBRACE',
  '[': 'LBRACK',
  ']': 'RBRACK',
  ',': 'COMMA',
  '.': 'PERIOD',
  '+': 'ADD',
}
const HCL_PUNCTUATION: Readonly<Record<string, TokenType>> = { ...PUNCTUATION, '=': 'ASSIGN' }
const JSON_PUNCTUATION: Readonly<Record<string, TokenType>> = { ...PUNCTUATION, ':': 'ASSIGN' }
const HCL_HEX_ESCAPES: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 }
const JSON_HEX_ESCAPES: Readonly<Record<string, number>> = { u: 4 }

class Scanner {
  readonly #text: string
  readonly #json: boolean
  #offset = 0
  #line = 1
  #column = 1

  constructor(text: string, json: boolean) {
    this.#text = text
    this.#json = json
  }

  next(): Token {
    this.#skipSpaceAndComments()
    const pos = this.#pos()
    const char = this.#text[this.#offset]
    if (char === undefined) return { type: 'EOF', text: '', value: null, pos }
    if (char === '"') return this.#string(pos)
    if (isDigit(char) || (char === '-' && isDigit(this.#text[this.#offset + 1]))) return this.#number(pos)
    if (char === '-') return this.#punct('SUB', pos)
    const punct = (this.#json ? JSON_PUNCTUATION : HCL_PUNCTUATION)[char]
    if (punct !== undefined) return this.#punct(punct, pos)
    if (/[\p{L}_]/u.test(char)) return this.#ident(pos)
    throw new HclError(pos, 'illegal char')
  }

  #pos(): Position {
    return { offset: this.#offset, line: this.#line, column: this.#column }
  }

  #advance(count = 1): void {
    for (let i = 0; i < count; i++) {
      if (this.#text[this.#offset] === '\n') {
        this.#line++
        this.#column = 1
      } else this.#column++
      this.#offset++
    }
  }

  #skipSpaceAndComments(): void {
    for (;;) {
      const char = this.#text[this.#offset]
      if (char === ' ' || char === '\t' || char === '\n' || char === '\r') this.#advance()
      else if (!this.#json && (char === '#' || (char === '/' && this.#text[this.#offset + 1] === '/'))) {
        while (this.#offset < this.#text.length && this.#text[this.#offset] !== '\n') this.#advance()
      } else if (!this.#json && char === '/' && this.#text[this.#offset + 1] === '*') {
        const start = this.#pos()
        const end = this.#text.indexOf('*/', this.#offset + 2)
        if (end < 0) throw new HclError(start, 'comment not terminated')
        this.#advance(end + 2 - this.#offset)
      } else if (!this.#json && char === '/') {
        throw new HclError(this.#pos(), "expected '/' for comment")
      } else return
    }
  }

  #punct(type: TokenType, pos: Position): Token {
    const text = this.#text[this.#offset] ?? ''
    this.#advance()
    return { type, text, value: null, pos }
  }

  #ident(pos: Position): Token {
    const match = /^[\p{L}_][\p{L}\p{Nd}_.-]*/u.exec(this.#text.slice(this.#offset))
    const text = match?.[0] ?? ''
    this.#advance(text.length)
    if (text === 'true' || text === 'false') return { type: 'BOOL', text, value: text === 'true', pos }
    if (this.#json && text === 'null') return { type: 'NULL', text, value: null, pos }
    if (this.#json) throw new HclError(pos, `invalid token: ${text}`)
    return { type: 'IDENT', text, value: text, pos }
  }

  #number(pos: Position): Token {
    const rest = this.#text.slice(this.#offset)
    const match = /^-?(0[xX][0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(rest)
    const text = match?.[0] ?? ''
    this.#advance(text.length)
    if (/[.eE]/.test(text) && !/^-?0[xX]/.test(text)) return { type: 'FLOAT', text, value: Number(text), pos }
    return { type: 'NUMBER', text, value: parseHclInteger(text), pos }
  }

  #string(pos: Position): Token {
    const start = this.#offset
    let value = ''
    let braces = 0
    this.#advance()
    for (;;) {
      const char = this.#text[this.#offset]
      if (char === undefined || (char === '\n' && braces === 0))
        throw new HclError(pos, 'literal not terminated')
      const charPos = this.#pos()
      this.#advance()
      if (char === '"' && braces === 0) break
      if (char === '\\') {
        value += this.#escape(charPos)
        continue
      }
      if (!this.#json && char === '$' && this.#text[this.#offset] === '{') {
        braces++
        value += '${'
        this.#advance()
        continue
      }
      if (braces > 0 && char === '}') braces--
      value += char
    }
    return { type: 'STRING', text: this.#text.slice(start, this.#offset), value, pos }
  }

  #escape(pos: Position): string {
    const char = this.#text[this.#offset] ?? ''
    const simple = this.#json && char === '/' ? '/' : SIMPLE_ESCAPES[char]
    if (simple !== undefined && !(this.#json && 'av'.includes(char))) {
      this.#advance()
      return simple
    }
    const hexLength = (this.#json ? JSON_HEX_ESCAPES : HCL_HEX_ESCAPES)[char] ?? 0
    if (hexLength > 0) {
      const digits = this.#text.slice(this.#offset + 1, this.#offset + 1 + hexLength)
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(digits))
        throw new HclError(pos, 'illegal char escape')
      this.#advance(1 + hexLength)
      const code = Number.parseInt(digits, 16)
      return code > 0x10ffff ? '\ufffd' : String.fromCodePoint(code)
    }
    if (!this.#json && /^[0-7]{3}$/.test(this.#text.slice(this.#offset, this.#offset + 3))) {
      const code = Number.parseInt(this.#text.slice(this.#offset, this.#offset + 3), 8)
      this.#advance(3)
      return String.fromCharCode(code)
    }
    throw new HclError(pos, 'illegal char escape')
  }
}

/** HCL reads integers with strconv.ParseInt(text, 0, 64): `0x` hex, leading `0` octal. */
function parseHclInteger(text: string): number {
  const negative = text.startsWith('-')
  const digits = negative ? text.slice(1) : text
  let value: number
  if (/^0[xX]/.test(digits)) value = Number.parseInt(digits.slice(2), 16)
  else if (/^0[0-7]+$/.test(digits)) value = Number.parseInt(digits.slice(1), 8)
  else value = Number(digits)
  return negative ? -value : value
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9'
}

/** Token-level helpers shared by the two parsers. */
abstract class TokenParser {
  readonly #scanner: Scanner
  #peeked: Token | undefined

  constructor(text: string, json: boolean) {
    this.#scanner = new Scanner(text, json)
  }

  protected peek(): Token {
    this.#peeked ??= this.#scanner.next()
    return this.#peeked
  }

  protected next(): Token {
    const token = this.peek()
    this.#peeked = undefined
    return token
  }

  protected literal(token: Token): Node {
    return { kind: 'literal', tokenType: token.type, value: token.value, text: token.text, pos: token.pos }
  }
}

/** hcl v1's parser (hcl/parser/parser.go), reduced to what policies use. */
class HclParser extends TokenParser {
  constructor(text: string) {
    super(text, false)
  }

  parseDocument(): Item[] {
    return this.#objectList(false)
  }

  #objectList(inObject: boolean): Item[] {
    const items: Item[] = []
    for (;;) {
      const next = this.peek()
      if (next.type === 'EOF' || (inObject && next.type === 'RBRACE')) return items
      const item = this.#objectItem()
      if (item === undefined) return items
      items.push(item)
      if (this.peek().type === 'COMMA') this.next()
    }
  }

  /** undefined: the input ended right after `key =` (hcl then silently stops the list). */
  #objectItem(): Item | undefined {
    const keys: Token[] = []
    for (;;) {
      const token = this.next()
      if (token.type === 'IDENT' || token.type === 'STRING') {
        keys.push(token)
        continue
      }
      if (token.type === 'ASSIGN') {
        if (keys.length > 1) throw new HclError(token.pos, 'nested object expected: LBRACE got: ASSIGN')
        if (keys.length === 0) throw new HclError(token.pos, 'no object keys found!')
        const value = this.#value()
        return value === undefined ? undefined : { keys, assignLine: token.pos.line, value }
      }
      if (token.type === 'LBRACE') {
        if (keys.length === 0) throw new HclError(token.pos, 'expected: IDENT | STRING got: LBRACE')
        return { keys, assignLine: 0, value: this.#objectType(token) }
      }
      if (keys.length > 0 && (token.type === 'EOF' || token.type === 'RBRACE')) {
        const names = keys.map((key) => key.text).join(' ')
        throw new HclError(token.pos, `key '${names}' expected start of object ('{') or assignment ('=')`)
      }
      throw new HclError(token.pos, `expected: IDENT | STRING | ASSIGN | LBRACE got: ${token.type}`)
    }
  }

  #value(): Node | undefined {
    const token = this.next()
    switch (token.type) {
      case 'NUMBER':
      case 'FLOAT':
      case 'BOOL':
      case 'STRING':
        return this.literal(token)
      case 'LBRACE':
        return this.#objectType(token)
      case 'LBRACK':
        return this.#listType(token)
      case 'EOF':
        return undefined
      default: {
        const { offset, line, column } = token.pos
        throw new HclError(
          token.pos,
          `Unknown token: {Type:${token.type} Pos:{Filename: Offset:${offset} Line:${line} Column:${column}} Text:${token.text} JSON:false}`,
        )
      }
    }
  }

  #objectType(open: Token): Node {
    const items = this.#objectList(true)
    const close = this.next()
    if (close.type !== 'RBRACE')
      throw new HclError(close.pos, `object expected closing RBRACE got: ${close.type}`)
    return { kind: 'object', items, pos: open.pos }
  }

  #listType(open: Token): Node {
    const elements: Node[] = []
    let needComma = false
    for (;;) {
      const token = this.next()
      if (needComma && token.type !== 'COMMA' && token.type !== 'RBRACK') {
        throw new HclError(token.pos, `error parsing list, expected comma or list end, got: ${token.type}`)
      }
      switch (token.type) {
        case 'BOOL':
        case 'NUMBER':
        case 'FLOAT':
        case 'STRING':
          elements.push(this.literal(token))
          needComma = true
          break
        case 'COMMA':
          needComma = false
          break
        case 'LBRACE':
          elements.push(this.#objectType(token))
          needComma = true
          break
        case 'LBRACK':
          elements.push(this.#listType(token))
          break
        case 'RBRACK':
          return { kind: 'list', elements, pos: open.pos }
        default:
          throw new HclError(token.pos, `unexpected token while parsing list: ${token.type}`)
      }
    }
  }
}

/** hcl v1's JSON syntax: plain JSON, then nested objects flattened into multi-key items. */
class JsonParser extends TokenParser {
  constructor(text: string) {
    super(text, true)
  }

  parseDocument(): Item[] {
    const root = this.#value()
    const end = this.next()
    if (end.type !== 'EOF') throw new HclError(end.pos, `expected: EOF got: ${end.type}`)
    if (root.kind !== 'object') throw new HclError(root.pos, 'does not contain a root object')
    return flatten(root.items)
  }

  #value(): Node {
    const token = this.next()
    switch (token.type) {
      case 'STRING':
      case 'NUMBER':
      case 'FLOAT':
      case 'BOOL':
      case 'NULL':
        return this.literal(token)
      case 'LBRACE':
        return this.#object(token)
      case 'LBRACK':
        return this.#list(token)
      default:
        throw new HclError(token.pos, `unexpected token: ${token.type}`)
    }
  }

  #object(open: Token): Node {
    const items: Item[] = []
    if (this.peek().type === 'RBRACE') {
      this.next()
      return { kind: 'object', items, pos: open.pos }
    }
    for (;;) {
      const key = this.next()
      if (key.type !== 'STRING') throw new HclError(key.pos, `expected: STRING got: ${key.type}`)
      const colon = this.next()
      if (colon.type !== 'ASSIGN') throw new HclError(colon.pos, `expected: COLON got: ${colon.type}`)
      items.push({ keys: [key], assignLine: colon.pos.line, value: this.#value() })
      const separator = this.next()
      if (separator.type === 'RBRACE') return { kind: 'object', items, pos: open.pos }
      if (separator.type !== 'COMMA')
        throw new HclError(separator.pos, `expected: COMMA got: ${separator.type}`)
    }
  }

  #list(open: Token): Node {
    const elements: Node[] = []
    if (this.peek().type === 'RBRACK') {
      this.next()
      return { kind: 'list', elements, pos: open.pos }
    }
    for (;;) {
      elements.push(this.#value())
      const separator = this.next()
      if (separator.type === 'RBRACK') return { kind: 'list', elements, pos: open.pos }
      if (separator.type !== 'COMMA')
        throw new HclError(separator.pos, `expected: COMMA got: ${separator.type}`)
    }
  }
}

/**
 * hcl/json/parser/flatten.go: an item whose value is an object made only of objects (or a
 * list made only of objects) becomes one item per member, with the keys concatenated. This is
 * what turns `{"path":{"x":{...}}}` into the same `path "x" {...}` item as HCL.
 */
function flatten(items: readonly Item[]): Item[] {
  const out: Item[] = []
  for (const item of items) {
    const value = item.value
    if (
      value.kind === 'object' &&
      value.items.length > 0 &&
      value.items.every((i) => i.value.kind === 'object')
    ) {
      out.push(
        ...flatten(
          value.items.map((sub) => ({ ...item, keys: [...item.keys, ...sub.keys], value: sub.value })),
        ),
      )
    } else if (
      value.kind === 'list' &&
      value.elements.length > 0 &&
      value.elements.every((e) => e.kind === 'object')
    ) {
      out.push(...flatten(value.elements.map((element) => ({ ...item, value: element }))))
    } else {
      out.push({ ...item, value: flattenNode(value) })
    }
  }
  return out
}

function flattenNode(node: Node): Node {
  if (node.kind === 'object') return { ...node, items: flatten(node.items) }
  if (node.kind === 'list') return { ...node, elements: node.elements.map(flattenNode) }
  return node
}

// ---------------------------------------------------------------------------------------------

/** Vault's built-in `default` policy (vault/policy_store.go, Vault 1.13 and later). */
export const DEFAULT_POLICY = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}


# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow checking the status of a Control Group request if the user has the
# accessor
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`

/** Vault's fixed `response-wrapping` policy, carried only by wrapping tokens. */
export const RESPONSE_WRAPPING_POLICY = `
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`
