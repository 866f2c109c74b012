package certflow

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/certflow/certflow/store"
)

// listedPacker packs the bytes a start's list keeps of the Secrets serving
// preloaded at the version listed (packDict): nothing reads them before
// the visits but the sweep, for an orphan's rule, and the listed reads,
// which unpack them as they answer (listedReads.take). Every other
// consumer of the list skips those Secrets (resetServing serves them
// already), so the list holds them packed from the moment they are
// handed over.
//
// A packed object's Data is tagged: it begins with this packer's
// random tag, which no bytes a Store hands over begin with but by a
// 2^-128 chance, then the dictionary's index, the unpacked size and the
// packing. Only the packer that tagged it unpacks it.
type listedPacker struct {
	tag   [16]byte
	dicts []*packDict
	// uses counts the objects packed against the last dictionary.
	uses    int
	scratch []byte
	// largest is the longest Data packed: no packing unpacks to more, so
	// a damaged size reserves no more than that.
	largest int
}

const (
	// packDicts bounds how many objects become dictionaries.
	packDicts = 8
	// packFreshUses is how long a dictionary is young: an object that
	// packs to more than half against a young one (the first listed
	// Secret may be a CA's, unlike the certificates' after it) becomes
	// the next dictionary.
	packFreshUses = 64
)

func newListedPacker() *listedPacker {
	p := &listedPacker{}
	_, _ = rand.Read(p.tag[:]) // never fails (crypto/rand)
	return p
}

// pack returns raw with its Data packed, or raw when packing does not
// make it smaller.
func (p *listedPacker) pack(raw store.Raw) store.Raw {
	if p == nil || len(raw.Data) < 2*packMinCopy {
		return raw
	}
	if len(p.dicts) == 0 {
		p.newDict(raw.Data)
	}
	d := len(p.dicts) - 1
	packed := p.dicts[d].pack(p.scratch[:0], raw.Data)
	if len(packed) > len(raw.Data)/2 && p.uses < packFreshUses && len(p.dicts) < packDicts {
		p.newDict(raw.Data)
		d++
		packed = p.dicts[d].pack(packed[:0], raw.Data)
	}
	p.scratch = packed
	p.uses++
	head := len(p.tag) + 1 + binary.MaxVarintLen64
	if len(packed)+head >= len(raw.Data) || !p.dicts[d].packsBack(packed, raw.Data) {
		return raw
	}
	p.largest = max(p.largest, len(raw.Data))
	out := make([]byte, 0, len(packed)+head)
	out = append(out, p.tag[:]...)
	out = append(out, byte(d))
	out = binary.AppendUvarint(out, uint64(len(raw.Data)))
	raw.Data = append(out, packed...)
	return raw
}

// newDict makes a copy of data the next dictionary.
func (p *listedPacker) newDict(data []byte) {
	p.dicts = append(p.dicts, newPackDict(bytes.Clone(data)))
	p.uses = 0
}

// errPackDamaged is plain's error for packed bytes that do not unpack:
// pack checked each packing unpacks before keeping it, so only memory
// damaged since could make it.
var errPackDamaged = errors.New("certflow: a listed object's packing is damaged")

// plain returns raw with its Data unpacked if this packer packed it.
func (p *listedPacker) plain(raw store.Raw) (store.Raw, error) {
	if p == nil || !bytes.HasPrefix(raw.Data, p.tag[:]) {
		return raw, nil
	}
	rest := raw.Data[len(p.tag):]
	if len(rest) == 0 || int(rest[0]) >= len(p.dicts) {
		return store.Raw{}, fmt.Errorf("%w: %s", errPackDamaged, raw.Ref)
	}
	size, k := binary.Uvarint(rest[1:])
	if k <= 0 || size > uint64(p.largest) {
		return store.Raw{}, fmt.Errorf("%w: %s", errPackDamaged, raw.Ref)
	}
	data, ok := p.dicts[rest[0]].unpack(rest[1+k:], int(size))
	if !ok {
		return store.Raw{}, fmt.Errorf("%w: %s", errPackDamaged, raw.Ref)
	}
	raw.Data = data
	return raw, nil
}
