package certflow

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// packSample is n bytes of base64-like text from seed: what a Secret's
// values look like to the packer.
func packSample(seed uint64, n int) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// Whatever is packed against a dictionary unpacks to exactly its bytes:
// sharing all, some or none of the dictionary, shorter or longer than it,
// empty.
func TestPackDict_UnpacksWhatItPacked(t *testing.T) {
	shared := packSample(1, 2000)
	dict := newPackDict(append([]byte(`{"kind":"Secret","data":{"ca.crt":"`), shared...))
	inputs := map[string][]byte{
		"empty":         {},
		"short":         []byte(`{}`),
		"the dict":      bytes.Clone(dict.data),
		"nothing alike": packSample(2, 3000),
		"shares a part": append(append(packSample(3, 500), shared[100:1500]...), packSample(4, 700)...),
		"shares twice":  append(append(bytes.Clone(shared[:900]), '"'), shared[50:1900]...),
		"longer":        bytes.Repeat(shared, 3),
		"a byte off":    append(append(bytes.Clone(shared[:1000]), 'x'), shared[1001:]...),
	}
	for name, src := range inputs {
		packed := dict.pack(nil, src)
		out, ok := dict.unpack(packed, len(src))
		require.True(t, ok, name)
		assert.Equal(t, src, out, name)
		assert.True(t, dict.packsBack(packed, src), name)
	}
}

// What an object shares with the dictionary is not held again: a Secret
// differing from the dictionary only in a name and one value of three
// packs to little more than that value.
func TestPackDict_SharedBytesAreHeldOnce(t *testing.T) {
	secretLike := func(name string, key []byte) []byte {
		return []byte(`{"kind":"Secret","metadata":{"name":"` + name + `"},"data":{"ca.crt":"` + string(packSample(1, 1000)) +
			`","tls.crt":"` + string(packSample(2, 1500)) + `","tls.key":"` + string(key) + `"}}`)
	}
	dict := newPackDict(secretLike("a-tls", packSample(3, 300)))
	src := secretLike("b-tls", packSample(4, 300))
	packed := dict.pack(nil, src)
	assert.Less(t, len(packed), 400, "of %d bytes, 300 differ", len(src))
}

// A packing that does not come from d is refused, not unpacked into
// something else.
func TestPackDict_RefusesWhatItDidNotPack(t *testing.T) {
	dict := newPackDict(packSample(1, 100))
	src := packSample(1, 100)
	packed := dict.pack(nil, src)
	for _, bad := range [][]byte{nil, packed[:len(packed)-1], append(bytes.Clone(packed), 0), {0, 200, 1, 0}} {
		_, ok := dict.unpack(bad, 0)
		assert.False(t, ok, "%x", bad)
	}
}

func FuzzPackDict(f *testing.F) {
	f.Add(packSample(1, 300), packSample(1, 300))
	f.Add(packSample(1, 300), append(packSample(2, 40), packSample(1, 200)...))
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz"), []byte("xxabcdefghijklmnopqrstuvwxyzxx"))
	f.Fuzz(func(t *testing.T, dictData, src []byte) {
		dict := newPackDict(dictData)
		out, ok := dict.unpack(dict.pack(nil, src), len(src))
		if !ok || !bytes.Equal(out, src) {
			t.Fatalf("packed %x against %x: unpacked %x, %v", src, dictData, out, ok)
		}
	})
}

// A packer packs against dictionaries of its own and unpacks only what it
// packed: bytes that are not its packing, another packer's among them,
// are returned as they are.
func TestListedPacker_UnpacksOnlyItsOwn(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	p, other := newListedPacker(), newListedPacker()
	first := store.Raw{Ref: ref, ResourceVersion: "1", Data: append([]byte(`{"a":"`), packSample(1, 2000)...)}
	second := store.Raw{Ref: ref, ResourceVersion: "2", Data: append(bytes.Clone(first.Data[:1500]), packSample(2, 300)...)}
	packed1, packed2 := p.pack(first), p.pack(second)
	assert.Less(t, len(packed2.Data), len(second.Data)/2, "packed against the first")
	assert.Equal(t, first, mustPlain(t, p, packed1))
	assert.Equal(t, second, mustPlain(t, p, packed2))

	assert.Equal(t, packed2, mustPlain(t, other, packed2), "another packer's")
	tiny := store.Raw{Ref: ref, Data: []byte(`{}`)}
	assert.Equal(t, tiny, p.pack(tiny), "too small to pack")
	assert.Equal(t, tiny, mustPlain(t, p, tiny))
	var none *listedPacker
	assert.Equal(t, first, none.pack(first), "no packer: kept whole")
}

// An object unlike the dictionary while it is young (the first listed
// Secret may be a CA's) becomes the next one, and those after it pack
// against it.
func TestListedPacker_AnUnlikeObjectBecomesTheDictionary(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	p := newListedPacker()
	p.pack(store.Raw{Ref: ref, Data: packSample(1, 2000)})
	unlike := store.Raw{Ref: ref, Data: packSample(2, 2000)}
	p.pack(unlike)
	require.Len(t, p.dicts, 2)
	like := store.Raw{Ref: ref, Data: append(bytes.Clone(unlike.Data[:1800]), packSample(3, 100)...)}
	packed := p.pack(like)
	assert.Less(t, len(packed.Data), 300)
	assert.Equal(t, like, mustPlain(t, p, packed))
}

// Packed bytes that do not unpack (only memory damaged after pack checked
// them could make them) are an error for the reader, not a panic.
func TestListedPacker_DamagedPackingIsAnError(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	p := newListedPacker()
	first := store.Raw{Ref: ref, Data: packSample(1, 2000)}
	p.pack(first)
	packed := p.pack(store.Raw{Ref: ref, Data: append(bytes.Clone(first.Data[:1800]), packSample(3, 100)...)})
	require.NotEqual(t, first.Data[:len(p.tag)], packed.Data[:len(p.tag)], "packed")
	damaged := map[string][]byte{
		"no dictionary":  append(append(bytes.Clone(p.tag[:]), 200), packed.Data[len(p.tag)+1:]...),
		"cut short":      packed.Data[:len(packed.Data)-3],
		"only its tag":   bytes.Clone(p.tag[:]),
		"size past ints": append(append(bytes.Clone(p.tag[:]), 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
	}
	for name, data := range damaged {
		_, err := p.plain(store.Raw{Ref: ref, Data: data})
		assert.ErrorIs(t, err, errPackDamaged, name)
	}
}

func mustPlain(t *testing.T, p *listedPacker, raw store.Raw) store.Raw {
	t.Helper()
	out, err := p.plain(raw)
	require.NoError(t, err)
	return out
}
