package objects

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Saved holds the metadata fields Create and Update overwrite, so a write
// that fails leaves the caller's object exactly as it was.
type Saved struct {
	uid, rv  string
	gen      int64
	creation *time.Time
}

// Save remembers m's store-managed fields.
func Save(m *meta.ObjectMeta) Saved {
	return Saved{uid: m.UID, rv: m.ResourceVersion, gen: m.Generation, creation: m.CreationTime}
}

// Restore puts the remembered fields back into m.
func (s Saved) Restore(m *meta.ObjectMeta) {
	m.UID, m.ResourceVersion, m.Generation, m.CreationTime = s.uid, s.rv, s.gen, s.creation
}

// FormatRevision renders a revision as a ResourceVersion.
func FormatRevision(rev uint64) string { return strconv.FormatUint(rev, 10) }

// PrepareCreate sets the fields a Create owns: a fresh random UID, the
// ResourceVersion of rev, CreationTime now (UTC, without monotonic reading so
// it survives a JSON round trip unchanged) and Generation 1 if unset.
func PrepareCreate(m *meta.ObjectMeta, rev uint64, now time.Time) error {
	uid, err := NewUID()
	if err != nil {
		return err
	}
	t := now.Round(0).UTC()
	m.UID = uid
	m.ResourceVersion = FormatRevision(rev)
	m.CreationTime = &t
	if m.Generation == 0 {
		m.Generation = 1
	}
	return nil
}

// PrepareUpdate checks that m may replace stored (same ResourceVersion, same
// UID if m has one; else store.ErrConflict) and sets the fields an Update
// owns: UID and CreationTime are kept from stored, a zero Generation keeps the
// stored one, and ResourceVersion becomes rev.
func PrepareUpdate(ref meta.Ref, m, stored *meta.ObjectMeta, rev uint64) error {
	if m.ResourceVersion != stored.ResourceVersion {
		return fmt.Errorf("%w: %s: resourceVersion %q, stored %q", store.ErrConflict, ref, m.ResourceVersion, stored.ResourceVersion)
	}
	if m.UID != "" && m.UID != stored.UID {
		return fmt.Errorf("%w: %s: uid %q, stored %q", store.ErrConflict, ref, m.UID, stored.UID)
	}
	m.UID = stored.UID
	m.CreationTime = meta.CloneTime(stored.CreationTime)
	if m.Generation == 0 {
		m.Generation = stored.Generation
	}
	m.ResourceVersion = FormatRevision(rev)
	return nil
}

// CheckDelete returns store.ErrConflict when a conditional delete names a
// resourceVersion other than the stored one.
func CheckDelete(ref meta.Ref, resourceVersion, stored string) error {
	if resourceVersion != "" && resourceVersion != stored {
		return fmt.Errorf("%w: %s: resourceVersion %q, stored %q", store.ErrConflict, ref, resourceVersion, stored)
	}
	return nil
}

// Encode marshals obj; a value JSON cannot encode is store.ErrInvalid.
func Encode(ref meta.Ref, obj meta.Object) ([]byte, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: encode: %v", store.ErrInvalid, ref, err)
	}
	return b, nil
}

// Decode zeroes into and unmarshals data into it, so fields and map entries
// of whatever into held before never leak into the result. Errors wrap
// store.ErrCorrupt; the caller adds which object or file.
func Decode(data []byte, into meta.Object) error {
	if v := reflect.ValueOf(into); v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().SetZero()
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%w: %v", store.ErrCorrupt, err)
	}
	return nil
}

// NewUID returns a random RFC 4122 version 4 UUID.
func NewUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: uid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	PutUUID(out[:], b[:])
	return string(out[:]), nil
}

// PutUUID writes the canonical form of the 16-byte UUID b into out (36
// bytes).
func PutUUID(out, b []byte) {
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
}
