package memory

import (
	"testing"
	"time"
)

// jsonTime tells the years JSON carries by the instant's Unix seconds, not
// its date: the bounds must be exactly RFC 3339's years 0 to 9999, as
// time.Time's MarshalJSON has them.
func TestJSONTime_YearBoundsAsMarshalJSON(t *testing.T) {
	first := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{first, first.Add(-time.Nanosecond), end, end.Add(-time.Nanosecond),
		first.In(time.FixedZone("Z0", 0)), end.In(time.FixedZone("Z0", 0))} {
		_, ok := jsonTime(at)
		_, err := at.MarshalJSON()
		if ok != (err == nil) {
			t.Errorf("jsonTime(%v) ok %v, MarshalJSON error %v", at, ok, err)
		}
	}
}
