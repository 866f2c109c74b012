package memory_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// ownedEvents is how many Events BenchmarkListByOwner stores: those of
// 11,000 certificates, four each.
const ownedEvents = 44000

// ownedEvent is the i-th Event, as the events writer stores it: owned by
// its involved Certificate (four Events a Certificate), without labels
// unless labelled, when it carries the involved object's kind and name as
// labels, as Events did before they were found by owner.
func ownedEvent(i int, labelled bool) *meta.Event {
	obj := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i/4)}
	at := time.Date(2026, 12, 1, 7, 3, 50, 0, time.UTC)
	e := &meta.Event{TypeMeta: meta.TypeMeta{APIVersion: meta.KindEvent.APIVersion(), Kind: meta.KindEvent},
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s.%016x", obj.Name, i), OwnerRefs: []meta.Ref{obj}},
		Object:     obj, Type: meta.EventNormal, Reason: meta.Reason(fmt.Sprint("Step", i%4)),
		Message: "Created new CertificateRequest resource " + obj.Name + "-1", Time: at, FirstTime: at, Count: 1}
	if labelled {
		e.ObjectMeta.Labels = map[string]string{"events.certflow.io/involved-kind": string(obj.Kind),
			"events.certflow.io/involved-name": obj.Name}
	}
	return e
}

// BenchmarkListByOwner lists the four Events of one Certificate among
// 44,000, as Status and describe do: by owner, and, as the baseline in the
// same run, by the involved object's labels through the label index (the
// query Events were found by before they lost their labels). Each store's
// heap per stored Event is reported too.
func BenchmarkListByOwner(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		labelled bool
		opts     func(obj meta.Ref) store.ListOptions
	}{
		{"baseline=by-label", true, func(obj meta.Ref) store.ListOptions {
			return store.ListOptions{Kind: meta.KindEvent, Namespace: obj.Namespace, Labels: map[string]string{
				"events.certflow.io/involved-kind": string(obj.Kind), "events.certflow.io/involved-name": obj.Name}}
		}},
		{"by-owner", false, func(obj meta.Ref) store.ListOptions {
			return store.ListOptions{Kind: meta.KindEvent, Namespace: obj.Namespace, Owner: &obj}
		}},
	} {
		b.Run(fmt.Sprintf("%s/events=%d", c.name, ownedEvents), func(b *testing.B) {
			before := heapAlloc()
			s := memory.New(memory.WithHistory(1))
			for i := range ownedEvents {
				if err := s.Create(ctx, ownedEvent(i, c.labelled)); err != nil {
					b.Fatal(err)
				}
			}
			perEvent := float64(heapAlloc()-before) / ownedEvents
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				obj := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i%(ownedEvents/4))}
				res, err := s.List(ctx, c.opts(obj))
				if err != nil || len(res.Items) != 4 {
					b.Fatal(len(res.Items), err)
				}
				i++
			}
			b.ReportMetric(perEvent, "B/event")
			runtime.KeepAlive(s)
		})
	}
}
