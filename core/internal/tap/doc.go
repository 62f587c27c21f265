// Package tap streams accepted events to watchers (hookferry tap, the
// console's live tail) without ever slowing the ingress: a slow watcher
// loses events and is told how many. It also decides which headers may
// leave the process with an event: none that could carry a credential.
package tap
