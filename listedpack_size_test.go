package certflow

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// withPackedSize is packed, a listedPacker's packing, with its unpacked
// size replaced by size (the rest of it left as it was).
func withPackedSize(t *testing.T, p *listedPacker, packed []byte, size uint64) []byte {
	t.Helper()
	head := len(p.tag) + 1
	_, k := binary.Uvarint(packed[head:])
	require.Positive(t, k)
	out := bytes.Clone(packed[:head])
	out = binary.AppendUvarint(out, size)
	return append(out, packed[head+k:]...)
}

// The size a packing records is the size it unpacks to: one damaged to
// another (larger, smaller) is an error, not bytes of another length.
func TestListedPacker_DamagedSizeIsAnError(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	p := newListedPacker()
	first := store.Raw{Ref: ref, Data: packSample(1, 2000)}
	p.pack(first)
	src := append(bytes.Clone(first.Data[:1800]), packSample(3, 100)...)
	packed := p.pack(store.Raw{Ref: ref, Data: src})
	require.True(t, bytes.HasPrefix(packed.Data, p.tag[:]), "packed")
	for _, size := range []uint64{uint64(len(src)) - 1, uint64(len(src)) + 1, 3000} {
		_, err := p.plain(store.Raw{Ref: ref, Data: withPackedSize(t, p, packed.Data, size)})
		assert.ErrorIs(t, err, errPackDamaged, "size %d of %d", size, len(src))
	}
}

// A damaged size does not reserve what it says: the largest object the
// packer packed bounds it (a size of 2 GiB reserved 2 GiB).
func TestListedPacker_DamagedSizeReservesNothingHuge(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	p := newListedPacker()
	first := store.Raw{Ref: ref, Data: packSample(1, 2000)}
	p.pack(first)
	packed := p.pack(store.Raw{Ref: ref, Data: append(bytes.Clone(first.Data[:1800]), packSample(3, 100)...)})
	require.True(t, bytes.HasPrefix(packed.Data, p.tag[:]), "packed")
	damaged := withPackedSize(t, p, packed.Data, 1<<31-1)
	// The process's allocations are counted: the least of three reads
	// leaves out what another goroutine allocated meanwhile.
	least := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := p.plain(store.Raw{Ref: ref, Data: damaged})
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, errPackDamaged)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	assert.Less(t, least, uint64(1<<20), "bytes allocated")
}

// Whatever follows a packer's tag, plain answers without a panic: with
// bytes of the size the packing records, or errPackDamaged.
func FuzzListedPackerPlain(f *testing.F) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	p := newListedPacker()
	first := packSample(1, 2000)
	p.pack(store.Raw{Ref: ref, Data: first})
	packed := p.pack(store.Raw{Ref: ref, Data: append(bytes.Clone(first[:1800]), packSample(3, 100)...)})
	f.Add(packed.Data[len(p.tag):])
	f.Add([]byte{0, 10, 0, 10, 0})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x07, 0, 0xff, 0x0f, 0})
	f.Fuzz(func(t *testing.T, rest []byte) {
		data := append(bytes.Clone(p.tag[:]), rest...)
		out, err := p.plain(store.Raw{Ref: ref, Data: data})
		if err != nil {
			require.ErrorIs(t, err, errPackDamaged)
			return
		}
		size, _ := binary.Uvarint(rest[1:])
		require.Equal(t, int(size), len(out.Data))
	})
}
