package acmepost

import "sync"

// Bounds of the nonce pool: nonces kept per server (a pool holds about as
// many as requests run at once), and servers.
const (
	maxNonces  = 32
	maxServers = 16
)

// nonces keeps unused nonces per server (by its newNonce URL: a nonce is
// good for any account of the server that issued it). Safe for concurrent
// use; the zero value is empty and ready.
type nonces struct {
	mu   sync.Mutex
	byCA map[string][]string
}

// take returns a kept nonce of server, or "" if it has none.
func (n *nonces) take(server string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	pool := n.byCA[server]
	if len(pool) == 0 {
		return ""
	}
	v := pool[len(pool)-1]
	n.byCA[server] = pool[:len(pool)-1]
	return v
}

// keep adds a nonce of server, dropping it when the pool is full (the
// server issues as many as needed).
func (n *nonces) keep(server, v string) {
	if v == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.byCA == nil || (len(n.byCA) >= maxServers && n.byCA[server] == nil) {
		n.byCA = map[string][]string{}
	}
	if len(n.byCA[server]) < maxNonces {
		n.byCA[server] = append(n.byCA[server], v)
	}
}
