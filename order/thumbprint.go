package order

import (
	"sync"
	"weak"

	"golang.org/x/crypto/acme"
)

// thumbprintsLimit bounds the clients whose thumbprints are kept; past it
// the entries of collected clients are dropped, then all.
const thumbprintsLimit = 64

// thumbprints remembers the JWK thumbprint of each ACME client's account
// key. An Order reads it at every visit (the key authorization of the
// Challenges it may create), and computing it marshals and hashes the
// key's JWK: about a dozen allocations. A client's key never changes (the
// issuer cache replaces the client when the key does), so the thumbprint
// is kept per client. The client is held weakly: nothing here keeps a
// deleted issuer's client, or its private key, alive; only the thumbprint
// (public) stays until the entry is pruned.
type thumbprints struct {
	mu sync.Mutex
	m  map[weak.Pointer[acme.Client]]string
}

// of returns the thumbprint of cl's account key.
func (t *thumbprints) of(cl *acme.Client) (string, error) {
	w := weak.Make(cl)
	t.mu.Lock()
	s, ok := t.m[w]
	t.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := acme.JWKThumbprint(cl.Key.Public())
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= thumbprintsLimit {
		for k := range t.m {
			if k.Value() == nil {
				delete(t.m, k)
			}
		}
		if len(t.m) >= thumbprintsLimit {
			clear(t.m)
		}
	}
	if t.m == nil {
		t.m = map[weak.Pointer[acme.Client]]string{}
	}
	t.m[w] = s
	return s, nil
}
