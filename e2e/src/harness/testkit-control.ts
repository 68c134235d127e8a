/**
 * @module
 * One call to a testkit server's test-control API (`/__testkit/…`), shared by the kube-dev and
 * vault-dev clients: JSON in, JSON (or nothing) out, any non-2xx an error naming the call.
 */
export async function callTestkitControl(
  base: string,
  server: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(new URL(`/__testkit/${path}`, base), {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${server} ${method} /__testkit/${path}: ${response.status} ${text}`)
  return text === '' ? undefined : JSON.parse(text)
}
