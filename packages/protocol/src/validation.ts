/**
 * @module
 * One way to validate wire data, shared by the controller and vault-init, so both ends accept
 * and refuse exactly the same bodies. Schemas are compiled once with TypeBox's JIT compiler.
 *
 * Error messages name the offending path and the rule it broke, never the value that was sent:
 * a body may carry a token, and these messages end up in error bodies and logs.
 *
 * @example
 * ```ts
 * const parse = compileParser(Type.Object({ port: Type.Integer() }))
 * parse({ port: 'x' }) // { ok: false, errors: ['port: must be integer'] }
 * ```
 */
import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { TLocalizedValidationError } from 'typebox/error'

/** The outcome of validating untrusted input: the typed value, or human-readable errors. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: string[] }

/** A validating parser for one schema. */
export type Parser<T> = (input: unknown) => ParseResult<T>

/** Enough errors to fix a request; a hostile body must not produce an unbounded answer. */
const MAX_ERRORS = 10

/**
 * Property names are input too: only short identifiers are repeated back. Tokens and other
 * secrets are longer or carry punctuation (`hvs.…`, JWTs, UUIDs) and show as `<unnamed>`.
 */
const ECHOABLE_PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,19}$/

/** Compiles `schema` once and returns a parser that never throws. */
export function compileParser<S extends TSchema>(schema: S): Parser<Static<S>> {
  const validator = Compile(schema)
  return (input) => {
    if (validator.Check(input)) return { ok: true, value: input as Static<S> }
    return { ok: false, errors: describeErrors(validator.Errors(input)) }
  }
}

/** Turns TypeBox errors into `path: rule` lines, deduplicated and bounded. */
export function describeErrors(errors: readonly TLocalizedValidationError[]): string[] {
  const lines = new Set<string>()
  const unknownProperty = (parentPath: string, name: string) => {
    const shown = ECHOABLE_PROPERTY_NAME.test(name) ? name : '<unnamed>'
    lines.add(`${pathLabel(parentPath, shown)}: unknown property`)
  }
  for (const error of errors) {
    // `additionalProperties: false` reports each extra key twice: once per key (as a false
    // boolean schema) and once for all keys; TypeBox may cut the list before the latter.
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
      const cut = error.instancePath.lastIndexOf('/')
      unknownProperty(error.instancePath.slice(0, cut), unescapePointer(error.instancePath.slice(cut + 1)))
    } else if (error.keyword === 'additionalProperties') {
      for (const name of error.params.additionalProperties) unknownProperty(error.instancePath, name)
    } else {
      lines.add(`${pathLabel(error.instancePath)}: ${error.message}`)
    }
  }
  if (lines.size === 0) lines.add('(root): invalid')
  return [...lines].slice(0, MAX_ERRORS)
}

/** `/callback/port` → `callback.port`; the root is `(root)`. */
function pathLabel(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1).map(unescapePointer)
  if (child !== undefined) segments.push(child)
  return segments.length === 0 ? '(root)' : segments.join('.')
}

/** Decodes one JSON-pointer segment. */
function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}
