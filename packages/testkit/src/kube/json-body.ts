/**
 * @module
 * Request-body decoding with Go's `encoding/json` error wording, so a malformed body gets the
 * same 400 text as from kube-apiserver.
 */
import { badRequest, type KubeStatusError } from './status-errors.ts'

/** Go's message for a document that is not valid JSON. */
export function goJsonSyntaxError(text: string, error: unknown): string {
  const trimmed = text.trim()
  if (trimmed === '') return 'unexpected end of JSON input'
  const first = trimmed[0] ?? ''
  if (!'{["-0123456789tfn'.includes(first))
    return `invalid character '${first}' looking for beginning of value`
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')
  if (position) {
    const char = text[Number(position[1])]
    if (char !== undefined) return `invalid character '${char}' after top-level value`
  }
  return 'unexpected end of JSON input'
}

export function parseJson(text: string, wrap: (detail: string) => KubeStatusError): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw wrap(goJsonSyntaxError(text, error))
  }
}

/** Create/update bodies: `couldn't get version/kind; json parse error: …`. */
export function parseObjectBody(text: string): unknown {
  return parseJson(text, (detail) => badRequest(`couldn't get version/kind; json parse error: ${detail}`))
}

/** Patch bodies. */
export function parsePatchBody(text: string): unknown {
  return parseJson(text, (detail) => badRequest(`error decoding patch: ${detail}`))
}
