package serve

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// fakeEntry is a loaded Secret without a real key pair: the index reads only
// the leaf's SANs and NotAfter.
func fakeEntry(name string, notAfter time.Time, sans ...string) *certEntry {
	cert := &tls.Certificate{Certificate: [][]byte{{0}}, Leaf: &x509.Certificate{DNSNames: sans, NotAfter: notAfter}}
	return newCertEntry(secretRef("ns", name), cert, cert.Leaf)
}

// checkTableCounts recounts what the writer keeps counts of, and checks
// that every key is reachable from where its hash starts probing.
func checkTableCounts(t *testing.T, l *liveTable) {
	t.Helper()
	tab := l.Load()
	used, dead, served := 0, 0, 0
	for i := range tab.slots {
		s := &tab.slots[i]
		if !tab.keyed(i) {
			assert.Nil(t, tab.claims[i], "an empty slot has no claims")
			assert.False(t, tab.tombstone(uint64(i)), "an empty slot is no tombstone")
			continue
		}
		used++
		if tab.claims[i] == nil {
			assert.Empty(t, l.more[s.key], "a name's first claimant is in its slot")
		}
		if tab.tombstone(uint64(i)) {
			dead++
			assert.Nil(t, s.cert.Load(), "a tombstone serves nothing")
			assert.Nil(t, tab.claims[i])
		}
		if s.cert.Load() != nil {
			served++
		}
		h := l.hash(s.key)
		assert.Equal(t, tagOf(h), tab.ctrl[i/groupSlots].Load()>>(8*(i%groupSlots))&0xff, s.key)
		if l.sketched {
			assert.True(t, tab.sketch.mayHold(s.key) && tab.sketch.mayHold(strings.ToUpper(s.key)), "the sketch holds %q", s.key)
		}
		j, found := tab.probe(h, s.key)
		assert.True(t, found && j == uint64(i), "%s is found where it is", s.key)
	}
	assert.Equal(t, used, tab.used, "used")
	assert.Equal(t, dead, tab.dead, "dead")
	assert.Equal(t, served, l.served, "served")
	assert.LessOrEqual(t, 8*tab.used, 7*len(tab.slots), "at most seven eighths full")
}

// claimsOf returns the claimants of key in l.
func claimsOf(l *liveTable, key string) []*certEntry {
	t := l.Load()
	i, found := t.probe(l.hash(key), key)
	if !found {
		return nil
	}
	if t.claims[i] == nil {
		return nil
	}
	return append([]*certEntry{t.claims[i]}, l.more[key]...)
}

// findIn looks key (folded) up in l as a reader does.
func findIn(l *liveTable, key string) *tls.Certificate {
	return l.Load().find(l.hash(key), key)
}

// TestIndexMatchesModel applies random puts, replacements and deletes, one
// by one and in batches, and checks after each step that every name is
// served exactly as a plain recomputation from the loaded Secrets says,
// that the tables' counts are right, and that they grow and shrink.
func TestIndexMatchesModel(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(3, 4))
	base := time.Now()
	const refs, names = 300, 120
	nameOf := func(i int) string {
		switch i % 3 {
		case 0:
			return fmt.Sprintf("n%d.example", i)
		case 1:
			return fmt.Sprintf("*.w%d.example", i)
		}
		return fmt.Sprintf("N%d.Mixed.Example", i) // loaded folded
	}
	randomEntry := func(ref int) *certEntry {
		sans := make([]string, 1+rng.IntN(3))
		for i := range sans {
			sans[i] = nameOf(rng.IntN(names))
		}
		return fakeEntry(fmt.Sprint("s", ref), base.Add(time.Duration(rng.IntN(5))*time.Hour), sans...)
	}
	c := NewCache(Options{})
	model := map[meta.Ref]*certEntry{}
	// want is the certificate the model serves for each name: the best
	// entry holding it, found in one pass over the model per check (a
	// pass per name made this test take a minute under the race detector).
	want := func() map[string]*tls.Certificate {
		best := map[string]*certEntry{}
		for _, e := range model {
			for _, k := range e.keys {
				if b := best[k]; b == nil || e.beats(b) {
					best[k] = e
				}
			}
		}
		certs := make(map[string]*tls.Certificate, len(best))
		for k, e := range best {
			certs[k] = e.cert
		}
		return certs
	}
	check := func(step int) {
		served := want()
		for i := 0; i < names; i++ {
			n := strings.ToLower(nameOf(i))
			got, table := findIn(&c.certs.exact, n), "exact"
			if parent, ok := strings.CutPrefix(n, "*."); ok {
				got, table = findIn(&c.certs.wild, parent), "wild"
			}
			require.Same(t, served[n], got, "step %d: %s in %s", step, n, table)
		}
		checkTableCounts(t, &c.certs.exact)
		checkTableCounts(t, &c.certs.wild)
		require.Equal(t, len(model), c.certs.secrets.len())
	}
	maxSlots := 0
	for step := 0; step < 1500; step++ {
		// Phases: mostly adding, then mostly deleting, then churn.
		deleteBias := []int{10, 90, 50}[step/500]
		var puts []*certEntry
		var deletes []meta.Ref
		for range 1 + rng.IntN(4)*(step%2)*10 { // odd steps are batches
			ref := rng.IntN(refs)
			r := secretRef("ns", fmt.Sprint("s", ref))
			if rng.IntN(100) < deleteBias {
				deletes = append(deletes, r)
				continue
			}
			puts = append(puts, randomEntry(ref))
		}
		c.update(puts, deletes)
		for _, e := range puts {
			model[e.ref] = e
		}
		for _, r := range deletes {
			delete(model, r)
		}
		check(step)
		maxSlots = max(maxSlots, len(c.certs.exact.Load().slots))
	}
	assert.Greater(t, maxSlots, minTableSlots, "the table grew")
}

// TestTableShrinksAfterDeletes: deleting most names rebuilds a smaller table.
func TestTableShrinksAfterDeletes(t *testing.T) {
	c := NewCache(Options{})
	var all []*certEntry
	for i := range 1000 {
		all = append(all, fakeEntry(fmt.Sprint("s", i), time.Now(), fmt.Sprintf("n%d.example", i)))
	}
	c.update(all, nil)
	big := len(c.certs.exact.Load().slots)
	for _, e := range all[10:] {
		c.update(nil, []meta.Ref{e.ref})
	}
	checkTableCounts(t, &c.certs.exact)
	assert.Less(t, len(c.certs.exact.Load().slots), big/8)
	for _, e := range all[:10] {
		assert.Same(t, e.cert, mustGet(t, c, e.keys[0]))
	}
}

// TestPublishKeepsNameServedThroughReplacement: between removing a Secret
// and publishing its replacement, the old certificate stays served, even
// when the table is rebuilt in between; after publish, the new one is.
func TestPublishKeepsNameServedThroughReplacement(t *testing.T) {
	c := NewCache(Options{})
	old := fakeEntry("web", time.Now(), "a.example", "*.w.example")
	c.update([]*certEntry{old}, nil)
	slots := len(c.certs.exact.Load().slots)

	c.mu.Lock()
	c.certs.remove(old.ref)
	for i := range 100 { // grow both tables while the names have no claim
		c.certs.put(fakeEntry(fmt.Sprint("filler", i), time.Now(), fmt.Sprintf("f%d.example", i), fmt.Sprintf("*.f%d.example", i)))
	}
	require.Greater(t, len(c.certs.exact.Load().slots), slots, "the table was rebuilt")
	assert.Same(t, old.cert, c.certs.lookup("a.example"), "still served before publish")
	assert.Same(t, old.cert, c.certs.lookup("x.w.example"))
	replacement := fakeEntry("web", time.Now(), "a.example", "*.w.example")
	c.certs.put(replacement)
	assert.Same(t, old.cert, c.certs.lookup("a.example"), "not yet published")
	c.publishLocked()
	c.mu.Unlock()

	assert.Same(t, replacement.cert, mustGet(t, c, "a.example"))
	assert.Same(t, replacement.cert, mustGet(t, c, "x.w.example"))
	checkTableCounts(t, &c.certs.exact)
	checkTableCounts(t, &c.certs.wild)
}

// TestReadersNeverMissAContinuouslyServedName: while writers replace the
// Secret serving two names over and over, and load and delete other
// Secrets so the tables grow, shrink and reuse dead slots, readers always
// get a certificate for them, and only ones that cover them.
func TestReadersNeverMissAContinuouslyServedName(t *testing.T) {
	c := NewCache(Options{})
	keep := func() *certEntry { return fakeEntry("web", time.Now(), "a.example", "*.w.example") }
	c.update([]*certEntry{keep()}, nil)

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names := []string{"a.example", "x.w.example", "A.EXAMPLE", "Y.W.Example"}
			for i := 0; !stop.Load(); i++ {
				name := names[(i+r)%len(names)]
				cert, err := c.GetCertificate(hello(name))
				if err == nil {
					err = cert.Leaf.VerifyHostname(name)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
			}
		}()
	}
	for round := range 60 {
		var fillers []*certEntry
		for i := range 50 {
			fillers = append(fillers, fakeEntry(fmt.Sprint("f", round, "-", i), time.Now(),
				fmt.Sprintf("f%d-%d.example", round, i), fmt.Sprintf("*.f%d-%d.example", round, i)))
		}
		for i, f := range fillers {
			c.update([]*certEntry{f}, nil)
			if i%10 == 0 {
				c.update([]*certEntry{keep()}, nil)
			}
		}
		for _, f := range fillers {
			c.update(nil, []meta.Ref{f.ref})
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	checkTableCounts(t, &c.certs.exact)
	checkTableCounts(t, &c.certs.wild)
}

// TestControlWordMatchesExactly: matching flags exactly the bytes equal to
// the tag and empties exactly the empty ones, whatever the other bytes of
// the word (a false match would make a reader read a slot still being
// written).
func TestControlWordMatchesExactly(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(5, 6))
	for range 200_000 {
		tag := tagOf(rng.Uint64())
		var ctrl uint64
		for j := range groupSlots {
			var b uint64
			switch rng.IntN(4) {
			case 0: // empty
			case 1:
				b = tag
			case 2:
				b = tag ^ 1<<rng.IntN(7) // one bit off
			default: // another key's tag
				b = tagOf(rng.Uint64())
			}
			ctrl |= b << (8 * j)
		}
		var wantMatch, wantEmpty uint64
		for j := range groupSlots {
			switch ctrl >> (8 * j) & 0xff {
			case tag:
				wantMatch |= 0x80 << (8 * j)
			case 0:
				wantEmpty |= 0x80 << (8 * j)
			}
		}
		require.Equal(t, wantMatch, matching(ctrl, tag), "ctrl %#x tag %#x", ctrl, tag)
		require.Equal(t, wantEmpty, empties(ctrl), "ctrl %#x", ctrl)
	}
}
