/**
 * @module
 * Kubernetes object names as the API server validates them, so a request naming a pod that
 * cannot exist is refused before any API call. A namespace is a DNS-1123 label (≤ 63 chars);
 * a pod name is a DNS-1123 subdomain (≤ 253 chars; Kubernetes does not limit its dot-separated
 * parts to 63 characters, so neither do we).
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 */
import { Type } from 'typebox'

/** Lowercase alphanumerics and `-`, starting and ending with an alphanumeric. */
export const DNS_1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
export const DNS_1123_LABEL_MAX_LENGTH = 63

/** DNS-1123 labels joined by `.`. */
export const DNS_1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'
export const DNS_1123_SUBDOMAIN_MAX_LENGTH = 253

/** A namespace name. */
export const NamespaceName = Type.String({
  minLength: 1,
  maxLength: DNS_1123_LABEL_MAX_LENGTH,
  pattern: DNS_1123_LABEL_PATTERN,
  description: 'Kubernetes namespace (DNS-1123 label, at most 63 characters)',
})

/** A pod name. */
export const PodName = Type.String({
  minLength: 1,
  maxLength: DNS_1123_SUBDOMAIN_MAX_LENGTH,
  pattern: DNS_1123_SUBDOMAIN_PATTERN,
  description: 'Kubernetes pod name (DNS-1123 subdomain, at most 253 characters)',
})
