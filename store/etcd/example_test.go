package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// Two stores on one etcd are two replicas: what one writes the other reads,
// and a lock one holds the other cannot take.
func ExampleOpen() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := etcdtest.New() // a real etcd in this process
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	a, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	b, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	w := storetest.NewWidget("default", "demo", map[string]string{"n": "1"})
	if err := a.Create(ctx, w); err != nil {
		panic(err)
	}
	var got storetest.Widget
	if err := b.Get(ctx, w.Ref(), &got); err != nil {
		panic(err)
	}
	fmt.Println(got.Data["n"], got.Metadata.ResourceVersion == w.Metadata.ResourceVersion)

	if _, err := a.Acquire(ctx, "finalize:demo", "replica-a", time.Minute); err != nil {
		panic(err)
	}
	_, err = b.Acquire(ctx, "finalize:demo", "replica-b", time.Minute)
	fmt.Println(errors.Is(err, store.ErrLocked))
	// Output:
	// 1 true
	// true
}
