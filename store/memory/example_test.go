package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
	"github.com/certflow/certflow/store/storetest"
)

func ExampleNew() {
	ctx := context.Background()
	s := memory.New()

	w := storetest.NewWidget("default", "demo", map[string]string{"n": "1"})
	if err := s.Create(ctx, w); err != nil {
		panic(err)
	}
	stale := *w
	w.Data = map[string]string{"n": "2"}
	if err := s.Update(ctx, w); err != nil {
		panic(err)
	}
	err := s.Update(ctx, &stale)
	fmt.Println(w.Metadata.ResourceVersion, errors.Is(err, store.ErrConflict))
	// Output: 2 true
}
