package events

import (
	"encoding/json"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// sweptEvent is what the sweep needs of a stored Event: the object it is
// about and when it happened last. A restart's sweep reads every stored
// Event (500,000 at 100,000 certificates), so it leaves their metadata,
// reasons and messages undecoded.
type sweptEvent struct {
	Object meta.Ref  `json:"involvedObject"`
	Time   time.Time `json:"lastTimestamp"`
}

// decodeSwept decodes raw as an Event, or reports it corrupt as
// store.Raw.Decode would: the whole text must still be valid JSON. A
// field it does not read holding the wrong type (a "count" that is a
// string) goes unnoticed, where a whole decode fails: such an Event is
// counted and expires by age instead of leaving the census untaken.
func decodeSwept(raw store.Raw) (sweptEvent, error) {
	var e sweptEvent
	if err := json.Unmarshal(raw.Data, &e); err != nil {
		return sweptEvent{}, &store.CorruptError{Ref: raw.Ref, Err: err}
	}
	return e, nil
}
