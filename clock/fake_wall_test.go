package clock

import (
	"testing"
	"time"
)

// A fake time carries no monotonic reading, whether it came from
// time.Now() or a Set: a deadline derived from a monotonic one could lie
// nanoseconds after the wall time a test Sets the clock to (a time read
// back from a Store), and its timer then never fired.
func TestFake_TimesCarryNoMonotonicReading(t *testing.T) {
	f := NewFake(time.Now())
	if now := f.Now(); now != now.Round(0) {
		t.Fatalf("NewFake(time.Now()) reads %v, with a monotonic reading", now)
	}
	f.Set(time.Now().Add(time.Hour))
	if now := f.Now(); now != now.Round(0) {
		t.Fatalf("Set(time.Now()+1h) reads %v, with a monotonic reading", now)
	}
	wall := f.Now().Add(time.Second)
	tm := f.NewTimer(time.Second)
	f.Set(wall)
	select {
	case <-tm.C():
	default:
		t.Fatal("a timer armed for 1 s did not fire when the clock was Set to the same instant read as wall time")
	}
}
