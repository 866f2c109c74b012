package certflow

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// Validations for hosts and SNI names no Certificate of this Manager is
// being issued for — random names, IP addresses, names of challenges the
// Store holds but nothing here knows of — are answered 404 (or refused)
// without a single Store read, however many arrive.
func TestServingMiss_MadeUpHostsAndTokensReadNothing(t *testing.T) {
	r := newMissRig(t)
	// In the Store, but for a Certificate this Manager never saw.
	stored := r.storeChallenge(t, "web", solver.HTTP01, "web.example.test", true)
	r.storeChallenge(t, "alpn", solver.TLSALPN01, "alpn.example.test", true)

	hosts := []string{"web.example.test", "203.0.113.7", "203.0.113.7:80", "[2001:db8::1]:80", ""}
	for i := range 200 {
		hosts = append(hosts, fmt.Sprintf("h%d-%s.example.test", i, strings.ToLower(randomToken(t)[:8])))
	}
	for _, host := range hosts {
		assert.Equal(t, http.StatusNotFound, r.get(randomToken(t), host).Code, host)
		// Checked at once: a second read would wait for the fake clock.
		require.Zero(t, r.st.challengeLists.Load(), "host %q read the Store", host)
	}
	assert.Equal(t, http.StatusNotFound, r.get(stored.Spec.Token, "web.example.test").Code)
	for _, sni := range append(hosts[5:], "alpn.example.test", "7.113.0.203.in-addr.arpa", "") {
		_, err := r.m.TLSConfig().GetCertificate(&tls.ClientHelloInfo{ServerName: sni, SupportedProtos: []string{"acme-tls/1"}})
		assert.Error(t, err, sni)
	}
	assert.Zero(t, r.st.challengeLists.Load(), "no Store read for names nothing is issued for")
	assert.Zero(t, r.clock.Waiters(), "no read is waiting either")
}

// A miss reads the Store only for a name of a Certificate whose issuance
// changed something within the window; after it, not until the issuance
// changes again (here: a request it owns is written).
func TestServingMiss_ReadsOnlyWhileAnIssuanceIsUnderWay(t *testing.T) {
	r := newMissRig(t)
	crt := r.issuing(t, "web", "Web.Example.test")
	assert.Equal(t, http.StatusNotFound, r.get(randomToken(t), "WEB.example.TEST.:80").Code)
	assert.EqualValues(t, 1, r.st.challengeLists.Load(), "a name being issued for: the Store is read")
	assert.Equal(t, http.StatusNotFound, r.get(randomToken(t), "www.example.test").Code)
	assert.EqualValues(t, 1, r.st.challengeLists.Load(), "another name: not read")

	r.clock.Advance(r.m.wiring.miss.gate.window)
	assert.Equal(t, http.StatusNotFound, r.get(randomToken(t), "web.example.test").Code)
	assert.EqualValues(t, 1, r.st.challengeLists.Load(), "nothing changed for a window: not read")

	req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-1"}
	r.m.wiring.miss.gate.observe(store.WatchEvent{Type: store.Modified, Ref: req,
		Meta: meta.ObjectMeta{Namespace: "default", Name: "web-1", OwnerRefs: []meta.Ref{meta.RefOf(crt)}}}, &r.m.owners)
	assert.Equal(t, http.StatusNotFound, r.get(randomToken(t), "web.example.test").Code)
	assert.EqualValues(t, 2, r.st.challengeLists.Load(), "its request changed: read again")
}

// The gate's decisions, one change at a time.
func TestMissGate(t *testing.T) {
	cert := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	req := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "c-1"}
	order := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "c-1-123"}
	chall := meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c-1-123-0"}
	owners := map[meta.Ref][]meta.Ref{req: {cert}, order: {req}, chall: {order}}
	ownersOf := ownerIndexOf(owners)
	crt := testrig.ACMECertificate("ns", "c", "le", "a.example.test", "*.w.example.test", "B.example.test")
	crt.Spec.IPAddresses = []string{"192.0.2.1", "::ffff:192.0.2.2"}
	crt.Default()
	certEvent := store.WatchEvent{Type: store.Added, Ref: cert, Meta: crt.ObjectMeta}
	event := func(ref meta.Ref, typ store.EventType) store.WatchEvent {
		return store.WatchEvent{Type: typ, Ref: ref, Meta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, OwnerRefs: owners[ref]}}
	}
	newGate := func() (*missGate, *clock.Fake) {
		clk := clock.NewFake(testrig.Epoch)
		return newMissGate(clk, time.Minute), clk
	}

	t.Run("names of a Certificate just changed", func(t *testing.T) {
		g, _ := newGate()
		assert.False(t, g.mayBeReal("a.example.test"), "nothing known")
		g.observe(certEvent, ownersOf)
		for _, name := range []string{"a.example.test", "A.EXAMPLE.test.", "b.example.test", "192.0.2.1", "192.0.2.2", "::ffff:192.0.2.2",
			"1.2.0.192.in-addr.arpa", "2.2.0.192.in-addr.arpa"} {
			assert.True(t, g.mayBeReal(name), name)
		}
		for _, name := range []string{"", "c.example.test", "x.a.example.test", "w.example.test", "*.w.example.test", "x.w.example.test", "192.0.2.3", "example.test"} {
			assert.False(t, g.mayBeReal(name), name)
		}
	})
	t.Run("closes after the window, reopened by any object of the issuance", func(t *testing.T) {
		for _, ref := range []meta.Ref{cert, req, order, chall} {
			g, clk := newGate()
			assert.Equal(t, missActiveWindowMin, g.window, "at least the minimum")
			g.observe(certEvent, ownersOf)
			clk.Advance(g.window - time.Nanosecond)
			assert.True(t, g.mayBeReal("a.example.test"))
			clk.Advance(time.Nanosecond)
			assert.False(t, g.mayBeReal("a.example.test"), "a window after the last change")
			ev := event(ref, store.Modified)
			if ref == cert {
				ev = certEvent
			}
			g.observe(ev, ownersOf)
			assert.True(t, g.mayBeReal("a.example.test"), "reopened by %s", ref.Kind)
			assert.False(t, g.mayBeReal("c.example.test"))
		}
	})
	t.Run("a deleted Certificate opens nothing", func(t *testing.T) {
		g, clk := newGate()
		g.observe(certEvent, ownersOf)
		clk.Advance(g.window)
		g.observe(store.WatchEvent{Type: store.Deleted, Ref: cert, Meta: crt.ObjectMeta}, ownersOf)
		g.observe(event(req, store.Modified), ownersOf)
		assert.False(t, g.mayBeReal("a.example.test"))
		g.observe(event(order, store.Deleted), ownersOf)
		assert.False(t, g.mayBeReal("a.example.test"))
	})
	t.Run("a Certificate without names opens every name while it changes", func(t *testing.T) {
		g, clk := newGate()
		bare := certEvent
		bare.Meta = meta.ObjectMeta{Namespace: "ns", Name: "c"}
		g.observe(bare, ownersOf)
		assert.True(t, g.mayBeReal("anything.example.test"))
		clk.Advance(g.window)
		assert.False(t, g.mayBeReal("anything.example.test"))
		g.observe(event(chall, store.Modified), ownersOf)
		assert.True(t, g.mayBeReal("anything.example.test"))
	})
	t.Run("a list opens every Certificate listed, for a window", func(t *testing.T) {
		g, clk := newGate()
		data, err := json.Marshal(crt)
		require.NoError(t, err)
		g.reset([]store.Raw{{Ref: cert, Data: data}})
		assert.True(t, g.mayBeReal("a.example.test"))
		assert.False(t, g.mayBeReal("c.example.test"))
		clk.Advance(g.window)
		assert.False(t, g.mayBeReal("a.example.test"))
	})
	t.Run("the window covers twice the self-check's bound", func(t *testing.T) {
		g := newMissGate(clock.NewFake(testrig.Epoch), time.Hour)
		assert.Equal(t, 2*time.Hour, g.window)
	})
	t.Run("expired names are swept", func(t *testing.T) {
		g, clk := newGate()
		g.observe(certEvent, ownersOf)
		require.NotEmpty(t, g.active)
		clk.Advance(g.window + time.Nanosecond)
		other := testrig.ACMECertificate("ns", "d", "le", "d.example.test")
		other.Default()
		g.observe(store.WatchEvent{Type: store.Added, Ref: meta.RefOf(other), Meta: other.ObjectMeta}, ownersOf)
		assert.Len(t, g.active, 1, "only the name just opened is kept")
	})
}

// Default annotates a Certificate with the names its validations may
// arrive for: canonical DNS names without wildcards, then IP addresses.
func TestCertificateValidationNames(t *testing.T) {
	crt := testrig.ACMECertificate("ns", "c", "le", "B.example.test", "*.w.example.test", "a.example.test", "b.example.test")
	crt.Spec.IPAddresses = []string{"2001:DB8::1", "::ffff:192.0.2.2"}
	crt.ObjectMeta.Annotations = map[string]string{"keep": "me"}
	user := crt.ObjectMeta.Annotations
	crt.Default()
	assert.Equal(t, "192.0.2.2,2001:db8::1,a.example.test,b.example.test", crt.ObjectMeta.Annotations[certificate.AnnotationValidationNames])
	assert.Equal(t, "me", crt.ObjectMeta.Annotations["keep"])
	assert.Equal(t, map[string]string{"keep": "me"}, user, "the caller's map is not modified")
	assert.Equal(t, []string{"192.0.2.2", "2001:db8::1", "a.example.test", "b.example.test"},
		certificate.SplitValidationNames(crt.ObjectMeta.Annotations[certificate.AnnotationValidationNames]))
	assert.Empty(t, certificate.SplitValidationNames(""))
}

// A listed Certificate's names are read without decoding it, and as
// encoding/json would read them when a key is escaped or cased otherwise.
func TestValidationNamesOf(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	for _, tc := range []struct {
		name, data string
		want       string
		named      bool
	}{
		{"annotated", `{"kind":"Certificate","metadata":{"name":"c","annotations":{"x":"y","certflow.io/validation-names":"a.test,b.test"}},"spec":{}}`, "a.test,b.test", true},
		{"empty list", `{"metadata":{"annotations":{"certflow.io/validation-names":""}}}`, "", true},
		{"no annotation", `{"metadata":{"annotations":{"x":"y"}}}`, "", false},
		{"no annotations", `{"metadata":{"name":"c"}}`, "", false},
		{"no metadata", `{"spec":{}}`, "", false},
		{"escaped key", `{"metadata":{"annotations":{"certflow.io\/validation-names":"a.test"}}}`, "a.test", true},
		{"other case", `{"Metadata":{"Annotations":{"certflow.io/validation-names":"a.test"}}}`, "a.test", true},
		{"not a string", `{"metadata":{"annotations":{"certflow.io/validation-names":7}}}`, "", false},
		{"corrupt", `{"metadata":`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, named := validationNamesOf(store.Raw{Ref: ref, Data: []byte(tc.data)})
			assert.Equal(t, tc.named, named)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The names the gate holds open (every name of every issuance for 10
// minutes) are kept in a map the collector need not scan: keyed by hash,
// until a number.
func TestMissGate_ActiveHoldsNoPointer(t *testing.T) {
	typ := reflect.TypeOf(newMissGate(clock.NewFake(testrig.Epoch), 0).active)
	for _, k := range []reflect.Type{typ.Key(), typ.Elem()} {
		switch k.Kind() {
		case reflect.Int64, reflect.Uint64:
		default:
			t.Errorf("the gate's active names: a %s holds a %s", typ, k)
		}
	}
}
