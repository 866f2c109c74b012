package request

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// jsonView is what CertificateView compared before it hashed fields where
// they lie: the JSON of labels, annotations and the status without its
// conditions. Nil and empty maps, and one instant in two time zones, count
// as one here, as they are one to the Certificate.
func jsonView(t *testing.T, r *CertificateRequest) string {
	t.Helper()
	st := r.Status
	st.Conditions = nil
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		u := p.UTC()
		return &u
	}
	st.FailureTime = utc(st.FailureTime)
	if st.Fallback != nil {
		f := *st.Fallback
		f.RetryAt = utc(f.RetryAt)
		st.Fallback = &f
	}
	nonNil := func(m map[string]string) map[string]string {
		if m == nil {
			return map[string]string{}
		}
		return m
	}
	b, err := json.Marshal(struct {
		L, A map[string]string
		S    Status
	}{nonNil(r.ObjectMeta.Labels), nonNil(r.ObjectMeta.Annotations), st})
	require.NoError(t, err)
	return string(b)
}

// TestCertificateView_SameAsJSON: over requests differing in every field
// the view covers (and in fields it does not), two views are equal exactly
// when the JSON of what they cover is.
func TestCertificateView_SameAsJSON(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC)
	t1 := t0.Add(time.Nanosecond)
	inZone := t0.In(time.FixedZone("x", 3600))
	mutations := []func(r *CertificateRequest){
		nil,
		func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{} },
		func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{"a": "b"} },
		func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{"a": "b", "c": "d"} },
		func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{"ab": ""} },
		func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{"a": "", "b": ""} },
		func(r *CertificateRequest) { r.ObjectMeta.Annotations = map[string]string{"a": "b"} },
		func(r *CertificateRequest) {
			r.ObjectMeta.Annotations = map[string]string{"a": "b"}
			r.ObjectMeta.Labels = map[string]string{"a": "b"}
		},
		func(r *CertificateRequest) { r.Status.Certificate = []byte("chain") },
		func(r *CertificateRequest) { r.Status.CA = []byte("chain") },
		func(r *CertificateRequest) { r.Status.Certificate, r.Status.CA = []byte("ch"), []byte("ain") },
		func(r *CertificateRequest) { r.Status.FailureTime = &t0 },
		func(r *CertificateRequest) { r.Status.FailureTime = &t1 },
		func(r *CertificateRequest) { r.Status.FailureTime = &inZone },
		func(r *CertificateRequest) { r.Status.Fallback = &Fallback{} },
		func(r *CertificateRequest) { r.Status.Fallback = &Fallback{Reason: "RateLimited"} },
		func(r *CertificateRequest) { r.Status.Fallback = &Fallback{Message: "RateLimited"} },
		func(r *CertificateRequest) { r.Status.Fallback = &Fallback{Reason: "RateLimited", RetryAt: &t0} },
		func(r *CertificateRequest) { r.Status.Fallback = &Fallback{Reason: "RateLimited", RetryAt: &t1} },
		func(r *CertificateRequest) { r.Spec.Request = []byte("csr") }, // not in the view
		func(r *CertificateRequest) {
			r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue, Reason: ReasonApproved})
		},
	}
	type seen struct {
		view any
		json string
	}
	var all []seen
	for _, m := range mutations {
		r := &CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-1"}}
		if m != nil {
			m(r)
		}
		all = append(all, seen{CertificateView(r), jsonView(t, r)})
	}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, a.json == b.json, a.view == b.view, "mutations %d and %d: %s vs %s", i, j, a.json, b.json)
		}
	}
}

// TestCertificateView_EveryStatusFieldCounts: a field added to Status, or
// to the Fallback it holds, is either in the view or, like the conditions,
// deliberately left out here.
func TestCertificateView_EveryStatusFieldCounts(t *testing.T) {
	base := CertificateView(&CertificateRequest{})
	each := func(name string, into func(r *CertificateRequest) reflect.Value) {
		typ := into(&CertificateRequest{}).Type()
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Name == "Conditions" {
				continue
			}
			r := &CertificateRequest{}
			v := into(r).Field(i)
			switch v.Kind() {
			case reflect.Slice:
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			case reflect.Pointer:
				v.Set(reflect.New(v.Type().Elem()))
			case reflect.String:
				v.SetString("x")
			default:
				t.Fatalf("%s.%s: a %s; teach CertificateView (and this test) about it", name, f.Name, v.Kind())
			}
			assert.NotEqual(t, base, CertificateView(r), "%s.%s set", name, f.Name)
		}
	}
	each("Status", func(r *CertificateRequest) reflect.Value { return reflect.ValueOf(&r.Status).Elem() })
	// A Fallback's zero fields count as its presence does: each is
	// compared with a zero Fallback.
	base = CertificateView(&CertificateRequest{Status: Status{Fallback: &Fallback{}}})
	each("Fallback", func(r *CertificateRequest) reflect.Value {
		r.Status.Fallback = &Fallback{}
		return reflect.ValueOf(r.Status.Fallback).Elem()
	})
}

// TestCertificateView_OneAllocation: the view is computed at every write
// and watch event of a request.
func TestCertificateView_OneAllocation(t *testing.T) {
	t0 := time.Now()
	r := &CertificateRequest{
		ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d", "e": "f"}},
		Status:     Status{Certificate: make([]byte, 3000), FailureTime: &t0, Fallback: &Fallback{Reason: "x", RetryAt: &t0}},
	}
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { _ = CertificateView(r) }), 1.0)
}

func BenchmarkCertificateView(b *testing.B) {
	t0 := time.Now()
	r := &CertificateRequest{
		ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"certflow.io/secret-name": "s"}, Annotations: map[string]string{"cert-manager.io/certificate-name": "c", "cert-manager.io/certificate-revision": "1"}},
		Status:     Status{FailureTime: &t0},
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = CertificateView(r)
	}
}
