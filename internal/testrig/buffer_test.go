package testrig

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Await returns once a later Write makes cond hold, and not before; a
// Buffer that never gets the line leaves it waiting until ctx ends.
func TestBuffer_AwaitWakesOnWrite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b := &Buffer{}
	_, _ = b.Write([]byte("first\n"))
	checked := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		done <- b.Await(ctx, func(s string) bool { checked <- s; return strings.Contains(s, "second") })
	}()
	next := func() string {
		select {
		case s := <-checked:
			return s
		case <-ctx.Done():
			t.Fatal("cond was not checked again")
			return ""
		}
	}
	require.Equal(t, "first\n", next(), "checked at once, before any Write")
	_, _ = b.Write([]byte("other\n"))
	require.Equal(t, "first\nother\n", next(), "re-checked after a Write")
	select {
	case err := <-done:
		t.Fatalf("returned before cond held: %v", err)
	default:
	}
	_, _ = b.Write([]byte("second\n"))
	require.NoError(t, <-done)

	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	assert.ErrorIs(t, b.Await(short, func(s string) bool { return strings.Contains(s, "never") }), context.Canceled)
}
