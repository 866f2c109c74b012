package serve

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// TestCache_SecretVersionsAgreeWithAModel: random sequences of ordered and
// unordered puts (with a certificate, without one, broken), ordered and
// unordered deletes, batches, drops and keys found unusable, replayed on a
// Cache and on a model that keeps every version in one versionLog (as the
// Cache did before a loaded Secret's version moved into its entry): after
// every step the Cache serves for each name exactly the certificate the
// model says, and takes every read at every version as stale, already put
// or new exactly as the model does. The run deletes more than
// maxTombstones times, so forgotten tombstones are compared too.
func TestCache_SecretVersionsAgreeWithAModel(t *testing.T) {
	ca := newTestCA(t)
	const refs, variants, maxVersion = 3, 3, 40
	base := time.Now().Add(2 * time.Hour)
	nameOf := func(r, j int) string { return fmt.Sprintf("r%d-v%d.example", r, j) }
	names := []string{"shared.example"}
	// certs[r][j] is variant j of Secret r; every variant also claims
	// shared.example, so several Secrets compete for it.
	var certs [refs][variants]*secret.Secret
	var leafDER [refs][variants][]byte
	var notAfter [refs][variants]time.Time
	for r := range refs {
		for j := range variants {
			names = append(names, nameOf(r, j), nameOf(r, (j+1)%variants))
			certs[r][j] = ca.secretFor(t, "ns", fmt.Sprint("s", r), leaf{
				dns:      []string{nameOf(r, j), nameOf(r, (j+1)%variants), "shared.example"},
				notAfter: base.Add(time.Duration((j*refs+r)%5) * time.Minute), // ties too
			})
			block, _ := pem.Decode(certs[r][j].Data[secret.TLSCertKey])
			leafDER[r][j] = block.Bytes
			l, err := x509.ParseCertificate(block.Bytes)
			require.NoError(t, err)
			notAfter[r][j] = l.NotAfter
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	refOf := func(r int) meta.Ref { return secretRef("ns", fmt.Sprint("s", r)) }
	at := func(s *secret.Secret, v uint64) *secret.Secret {
		cp := *s
		cp.ObjectMeta.ResourceVersion = ""
		if v != 0 {
			cp.ObjectMeta.ResourceVersion = fmt.Sprint(v)
		}
		return &cp
	}
	noCert := func(r int, v uint64) *secret.Secret {
		return at(&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("s", r)},
			Data: map[string][]byte{"other": []byte("x")}}, v)
	}
	broken := func(r int, v uint64) *secret.Secret {
		s := at(certs[r][0], v)
		s.Data = map[string][]byte{secret.TLSCertKey: []byte("not PEM"), secret.TLSKeyKey: []byte("x")}
		return s
	}

	// The model: the versions as the one versionLog kept them, and the
	// variant loaded for each Secret (-1: none).
	var versions versionLog
	loaded := [refs]int{-1, -1, -1}
	// record is versionLog.record, but a Secret loaded again unordered
	// after a delete keeps that delete's version when its tombstone is
	// pushed out: the Cache keeps it in the entry, where no tombstone is
	// forgotten (the stricter order, and the right one: the delete was
	// newer than any read older than it).
	record := func(ref meta.Ref, v uint64, deleted bool) {
		var oldest meta.Ref
		var kept mark
		if len(versions.gone) == maxTombstones && v != 0 && deleted {
			oldest = versions.gone[0]
			kept = versions.seen[oldest]
		}
		versions.record(ref, v, deleted)
		for r := range refs {
			if oldest == refOf(r) && oldest != ref && loaded[r] >= 0 {
				versions.seen[oldest] = kept
			}
		}
	}
	modelPutAlready := func(r int, v uint64) bool {
		return versions.stale(refOf(r), v) || versions.current(refOf(r), v)
	}
	modelApply := func(r int, v uint64, j int) { // j -1: no certificate
		if versions.stale(refOf(r), v) {
			return
		}
		record(refOf(r), v, j < 0)
		loaded[r] = j
	}
	want := func(name string) []byte {
		best := -1
		for r := range refs {
			j := loaded[r]
			if j < 0 || !(name == "shared.example" || name == nameOf(r, j) || name == nameOf(r, (j+1)%variants)) {
				continue
			}
			if best < 0 {
				best = r
				continue
			}
			// certEntry.beats: the later NotAfter, then the smaller name.
			la, lb := notAfter[r][j], notAfter[best][loaded[best]]
			if la.After(lb) || la.Equal(lb) && r < best {
				best = r
			}
		}
		if best < 0 {
			return nil
		}
		return leafDER[best][loaded[best]]
	}

	c := NewCache(Options{})
	rng := rand.New(rand.NewPCG(11, 12))
	// Versions mostly move forward, with reads that arrive late.
	version := func() uint64 {
		switch rng.IntN(6) {
		case 0:
			return 0
		default:
			return 1 + rng.Uint64N(maxVersion)
		}
	}
	deletes := 0
	for step := range 5000 {
		r, j, v := rng.IntN(refs), rng.IntN(variants), version()
		var op string
		switch k := rng.IntN(21); {
		case k == 20:
			// Deletes of other Secrets, which push the oldest tombstones out.
			op = "DeleteSecretAt(others)"
			for i := range 100 {
				other := secretRef("ns", fmt.Sprint("other-", rng.IntN(1000)))
				if !versions.stale(other, uint64(1+i)) {
					record(other, uint64(1+i), true)
				}
				c.DeleteSecretAt(other, fmt.Sprint(1+i))
				deletes++
			}
		case k < 7:
			op = fmt.Sprintf("PutSecret(s%d v%d @%d)", r, j, v)
			if !modelPutAlready(r, v) {
				modelApply(r, v, j)
			}
			require.NoError(t, c.PutSecret(at(certs[r][j], v)), op)
		case k < 9:
			op = fmt.Sprintf("PutSecret(s%d no certificate @%d)", r, v)
			if !modelPutAlready(r, v) {
				modelApply(r, v, -1)
			}
			require.NoError(t, c.PutSecret(noCert(r, v)), op)
		case k < 10:
			op = fmt.Sprintf("PutSecret(s%d broken @%d)", r, v)
			err := c.PutSecret(broken(r, v))
			if !modelPutAlready(r, v) {
				require.ErrorIs(t, err, ErrInvalidSecret, op)
			}
		case k < 12:
			op = fmt.Sprintf("DeleteSecretAt(s%d @%d)", r, v)
			if !versions.stale(refOf(r), v) {
				record(refOf(r), v, true)
				loaded[r] = -1
			}
			c.DeleteSecretAt(refOf(r), fmt.Sprint(v))
			deletes++
		case k < 13:
			op = fmt.Sprintf("DeleteSecret(s%d)", r)
			versions.record(refOf(r), 0, true)
			loaded[r] = -1
			c.DeleteSecret(refOf(r))
			deletes++
		case k < 15:
			// A batch of two reads of r2 and r, then an unordered delete.
			r2, j2, v2 := rng.IntN(refs), rng.IntN(variants), version()
			del := rng.IntN(refs)
			op = fmt.Sprintf("Apply(s%d v%d @%d, s%d v%d @%d; delete s%d)", r2, j2, v2, r, j, v, del)
			modelApply(r2, v2, j2)
			modelApply(r, v, j)
			versions.record(refOf(del), 0, true)
			loaded[del] = -1
			require.NoError(t, c.Apply([]*secret.Secret{at(certs[r2][j2], v2), at(certs[r][j], v)}, []meta.Ref{refOf(del)}), op)
			deletes++
		case k < 17:
			op = fmt.Sprintf("update(drop s%d)", r)
			loaded[r] = -1
			c.update(nil, []meta.Ref{refOf(r)})
		default:
			op = fmt.Sprintf("keyFailed(s%d)", r)
			c.mu.Lock()
			e := c.certs.secrets.get(refOf(r))
			c.mu.Unlock()
			if e == nil {
				continue
			}
			loaded[r] = -1
			c.keyFailed(e, errors.New("unusable"))
		}

		for _, name := range names {
			cert, err := c.GetCertificate(hello(name))
			if w := want(name); w == nil {
				require.Error(t, err, "step %d after %s: %s served", step, op, name)
			} else {
				require.NoError(t, err, "step %d after %s: %s", step, op, name)
				require.True(t, bytes.Equal(w, cert.Certificate[0]), "step %d after %s: %s serves another certificate", step, op, name)
			}
		}
		for r := range refs {
			for v := uint64(0); v <= maxVersion+1; v += 1 + uint64(step%4) {
				c.mu.Lock()
				stale := c.secretStaleLocked(refOf(r), v)
				c.mu.Unlock()
				require.Equal(t, versions.stale(refOf(r), v), stale, "step %d after %s: s%d @%d stale", step, op, r, v)
				require.Equal(t, modelPutAlready(r, v), c.putAlready(refOf(r), v), "step %d after %s: s%d @%d already put", step, op, r, v)
			}
			c.mu.Lock()
			_, inLog := c.secretVersions.seen[refOf(r)]
			loadedHere := c.certs.secrets.get(refOf(r)) != nil
			c.mu.Unlock()
			require.False(t, inLog && loadedHere, "step %d after %s: s%d's version is both in its entry and in the log", step, op, r)
		}
	}
	require.Greater(t, deletes, maxTombstones, "enough deletes to forget tombstones")
}
