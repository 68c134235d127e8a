/**
 * @module
 * Turns a request path and method into the attributes authorisation and routing use, like
 * kube-apiserver's `RequestInfoFactory`: API group and version, namespace, resource, name,
 * subresource and verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, ...), or a
 * non-resource path (`/openid/v1/jwks`) with the lower-cased method as verb.
 */

export interface ResourceRequest {
  isResource: true
  verb: string
  apiGroup: string
  apiVersion: string
  namespace: string | undefined
  resource: string
  name: string | undefined
  subresource: string | undefined
  /** `GET /api/v1/namespaces/:namespace/pods/:name`: stats key. */
  route: string
}

export interface NonResourceRequest {
  isResource: false
  verb: string
  path: string
}

export type RequestInfo = ResourceRequest | NonResourceRequest

const verbsOfMethod: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
  GET: 'get',
  HEAD: 'get',
}

/** Percent-decoding that leaves a malformed escape as it is instead of throwing. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const segments = pathname.split('/').filter((segment) => segment !== '')
  let apiGroup: string
  let apiVersion: string
  let rest: string[]
  let prefix: string
  if (segments[0] === 'api' && segments.length >= 3) {
    apiGroup = ''
    apiVersion = segments[1] ?? ''
    rest = segments.slice(2)
    prefix = `/api/${apiVersion}`
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    apiGroup = segments[1] ?? ''
    apiVersion = segments[2] ?? ''
    rest = segments.slice(3)
    prefix = `/apis/${apiGroup}/${apiVersion}`
  } else {
    return { isResource: false, verb: method.toLowerCase(), path: pathname }
  }
  let namespace: string | undefined
  let routeParts: string[] = []
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = decodeSegment(rest[1] ?? '')
    rest = rest.slice(2)
    routeParts = ['namespaces', ':namespace']
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    // `/api/v1/namespaces/ns1` is the namespace object itself.
    namespace = decodeSegment(rest[1] ?? '')
  }
  const [resource = '', rawName, subresource, ...extra] = rest
  const name = rawName === undefined ? undefined : decodeSegment(rawName)
  let verb = verbsOfMethod[method] ?? method.toLowerCase()
  if (name === undefined) {
    if (verb === 'get') verb = query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list'
    else if (verb === 'delete') verb = 'deletecollection'
  }
  const routeSegments = [prefix, ...routeParts, resource]
  if (name !== undefined) routeSegments.push(':name')
  if (subresource !== undefined) routeSegments.push(subresource)
  const route = `${routeSegments.join('/')}${extra.length > 0 ? '/…' : ''}${verb === 'watch' ? '?watch' : ''}`
  return {
    isResource: true,
    verb,
    apiGroup,
    apiVersion,
    namespace,
    resource: extra.length > 0 ? '' : resource,
    name,
    subresource,
    route,
  }
}
