package serve

import "github.com/certflow/certflow/meta"

// Held returns the Secrets and Challenges the cache serves, whoever put
// them. A Manager that lists its Store again compares these with what the
// list holds to find what was deleted while it was not watching: what it
// remembers having put would miss what other paths put (its own writes,
// a validation's Store read).
func (c *Cache) Held() []meta.Ref {
	c.mu.Lock()
	defer c.mu.Unlock()
	chs := c.challenges.Load().byRef
	refs := make([]meta.Ref, 0, c.certs.secrets.len()+len(chs))
	for e := range c.certs.secrets.all {
		refs = append(refs, e.ref)
	}
	for ref := range chs {
		refs = append(refs, ref)
	}
	return refs
}
