package memory

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// directMatchesCopy fails unless writing obj directly gives, byte for
// byte, the slab that writing its normalised copy gives, or the direct
// encoder declines it. It reports whether the direct encoder took it.
func directMatchesCopy(t *testing.T, obj meta.Object) bool {
	t.Helper()
	c := objectCodecOf(reflect.TypeOf(obj).Elem())
	if c == nil {
		return false
	}
	ref := meta.RefOf(obj)
	before := reflect.New(reflect.TypeOf(obj).Elem())
	deepCopy(before.Elem(), reflect.ValueOf(obj).Elem())
	direct := c.writeDirect(ref, obj, nil, nil)
	require.Equal(t, before.Interface(), obj, "the direct encoder leaves obj as it was")
	if direct == nil {
		return false
	}
	defer direct.release()
	normalised, err := decodeAhead(ref, obj, nil)
	require.NoError(t, err, "what the direct encoder takes, the copy takes")
	require.NotNil(t, normalised)
	copied := c.writeAhead(ref, normalised, nil, nil)
	defer copied.release()
	require.Equal(t, copied.buf, direct.buf, "the same slab content")
	require.Equal(t, handleValues(copied.strs), handleValues(direct.strs), "the same shared strings")
	require.Equal(t, copied.block, direct.block, "the same block size")
	return true
}

// Every kind kept in slabs, filled at random with every corner JSON
// changes (invalid UTF-8, empty omitempty slices and maps, omitzero
// values, times in every zone, monotonic readings, out of range): the
// direct encoder writes what the normalised copy writes, or declines.
func TestDirectEncoderMatchesCopy(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for i, kind := range normalisedKinds {
		if objectCodecOf(reflect.TypeOf(kind()).Elem()) == nil {
			continue
		}
		t.Run(reflect.TypeOf(kind()).Elem().Name(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 17))
			taken := 0
			for range rounds {
				data := make([]byte, 64+rng.IntN(4096))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				for _, full := range []bool{false, true} {
					obj := kind()
					(&filler{data: data, full: full}).fillObject(obj)
					if directMatchesCopy(t, obj) {
						taken++
					}
				}
			}
			require.True(t, directMatchesCopy(t, kind()), "an empty object is taken")
			require.Positive(t, taken, "some fills are taken directly")
			t.Logf("%d of %d fills taken directly", taken, 2*rounds)
		})
	}
}

// What certflow writes is taken directly: times from the real clock (in
// Local, with a monotonic reading), empty maps, PEM data.
func TestDirectEncoderTakesWhatCertflowWrites(t *testing.T) {
	now := time.Now()
	rev := 3
	cert := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web", Labels: map[string]string{}, Annotations: map[string]string{"a": "b"}},
		Spec:       certificate.Spec{SecretName: "web-tls", DNSNames: []string{"web.example"}, IssuerRef: meta.IssuerRef{Name: "ca"}},
		Status: certificate.Status{Revision: &rev, NotAfter: &now,
			Conditions: meta.Conditions{{Type: meta.ConditionReady, Status: meta.ConditionTrue, LastTransitionTime: now}}},
	}
	require.True(t, directMatchesCopy(t, cert))
	sec := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web-tls", OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "web"}}},
		Type:       secret.TypeTLS,
		Data:       map[string][]byte{secret.TLSCertKey: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "empty": {}},
	}
	require.True(t, directMatchesCopy(t, sec))
	ev := &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web.1"}, Message: "Issued", FirstTime: now, Time: now}
	require.True(t, directMatchesCopy(t, ev))
}

func FuzzDirectEncoder(f *testing.F) {
	for i := range normalisedKinds {
		f.Add(uint8(i), false, []byte{})
		f.Add(uint8(i), true, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200, 150, 100, 50})
	}
	f.Fuzz(func(t *testing.T, kind uint8, full bool, data []byte) {
		obj := normalisedKinds[int(kind)%len(normalisedKinds)]()
		(&filler{data: data, full: full}).fillObject(obj)
		directMatchesCopy(t, obj)
	})
}
