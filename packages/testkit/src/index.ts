/**
 * @module
 * vault-dev and kube-dev for tests and the demo.
 */
export {}
