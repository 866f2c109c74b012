package serve

import (
	"crypto/tls"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestTableMatchesModelUnderCollisions drives one liveTable directly, with
// hashes chosen to collide, through random claims, releases, elections and
// tidies, and checks after every step that a reader's find (in upper,
// lower and mixed case) gives what a map of the claims says for the keys
// the step touched (every key every 10 steps and after every rebuild), that
// absent keys miss, and that the writer's counts hold (every 25 steps and
// after every rebuild). The index's own hash
// makes collisions rare; these make them the rule: every key in one group
// with one tag (each probe compares every key), two tags in one group
// (tags filter, groups overflow into the next), one tag spread over groups
// (a tag match that is another key), and two groups with random tags.
func TestTableMatchesModelUnderCollisions(t *testing.T) {
	hashes := map[string]func(key string) uint64{
		"one group one tag":   func(string) uint64 { return 5 },
		"one group two tags":  func(k string) uint64 { return uint64(len(k)%2)<<63 | 3 },
		"one tag many groups": func(k string) uint64 { return uint64(len(k)*31+int(k[len(k)-1])) & 0xffff },
		"two groups":          func(k string) uint64 { return exactHash(7, k) &^ 0xfffe },
	}
	for name, hash := range hashes {
		t.Run(name, func(t *testing.T) {
			checkTableAgainstModel(t, hash)
		})
	}
}

func checkTableAgainstModel(t *testing.T, hash func(string) uint64) {
	rng := mrand.New(mrand.NewPCG(7, 8))
	const keys, refs = 60, 30
	keyOf := func(i int) string { return fmt.Sprintf("k%d.example", i) }
	entries := make([]*certEntry, refs)
	for i := range entries {
		entries[i] = fakeEntry(fmt.Sprint("e", i), time.Unix(int64(i%7), 0), "x.example")
	}
	var l liveTable
	l.initSketched(hash, 11) // checkTableCounts checks the sketch through growth, tombstones and shrinking
	claims := map[string]map[*certEntry]bool{}
	want := func(key string) *tls.Certificate {
		var best *certEntry
		for e := range claims[key] {
			if best == nil || e.beats(best) {
				best = e
			}
		}
		if best == nil {
			return nil
		}
		return best.cert
	}
	grew, shrank, maxSlots := false, false, 0
	for step := range 3000 {
		before := len(l.Load().slots)
		deleteBias := []int{20, 85, 50}[step/1000]
		touched := map[string]bool{}
		for range 1 + rng.IntN(6) {
			k, e := keyOf(rng.IntN(keys)), entries[rng.IntN(refs)]
			if rng.IntN(100) < deleteBias {
				for e := range claims[k] { // any one of its claims
					l.release(k, e)
					delete(claims[k], e)
					touched[k] = true
					break
				}
				continue
			}
			if !claims[k][e] {
				l.claim(k, e)
				if claims[k] == nil {
					claims[k] = map[*certEntry]bool{}
				}
				claims[k][e] = true
				touched[k] = true
			}
		}
		for k := range touched {
			l.elect(k)
		}
		l.tidy()
		after := len(l.Load().slots)
		grew, shrank = grew || after > before, shrank || after < before
		maxSlots = max(maxSlots, after)

		for i := range keys + 10 { // ten keys never claimed
			k := keyOf(i)
			if !touched[k] && i < keys && step%10 != 0 && after == before {
				continue // unchanged since it was last checked (keeps -race quick)
			}
			w := want(k)
			for _, asked := range []string{k, strings.ToUpper(k), "K" + k[1:]} {
				if got := l.Load().find(l.hash(k), asked); got != w {
					t.Fatalf("step %d: %s: found %p, the claims say %p", step, asked, got, w)
				}
			}
		}
		if step%25 == 0 || after != before { // testify's per-slot checks are slow under -race
			checkTableCounts(t, &l)
		}
	}
	checkTableCounts(t, &l)
	assert.True(t, grew, "the table grew")
	assert.True(t, shrank, "the table shrank")
	t.Logf("largest table: %d slots", maxSlots)
}
