package etcd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// valueMagic starts every object value; it names the format's version.
const valueMagic = "certflow1 "

// An object's value is
//
//	certflow1 <metadata length> <offset>\n<metadata JSON><object JSON>
//
// The metadata is the object's ObjectMeta on its own, so List filters and
// Watch reports it without knowing the object's Go type. Neither copy holds
// the ResourceVersion: it is the key's mod revision, known only once the
// write is committed. The object JSON keeps an empty "resourceVersion":""
// and offset says where, between its quotes, the revision goes when the
// object is read.

// encodeValue encodes obj (its metadata prepared by the caller) as a value.
// placeholder is a string no object contains; it marks the place of the
// ResourceVersion in obj's JSON, whatever the object's type.
func encodeValue(ref meta.Ref, obj meta.Object, placeholder string) ([]byte, error) {
	m := obj.GetMeta()
	keep := m.ResourceVersion
	defer func() { m.ResourceVersion = keep }()

	m.ResourceVersion = placeholder
	data, err := objects.Encode(ref, obj)
	if err != nil {
		return nil, err
	}
	m.ResourceVersion = ""
	metaJSON, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: encode metadata: %v", store.ErrInvalid, ref, err)
	}
	mark := []byte(`"` + placeholder + `"`)
	at := bytes.Index(data, mark)
	if at < 0 || bytes.Count(data, mark) != 1 {
		return nil, fmt.Errorf("%w: %s: its JSON must hold metadata.resourceVersion exactly once", store.ErrInvalid, ref)
	}
	at++ // inside the quotes

	out := make([]byte, 0, len(valueMagic)+24+len(metaJSON)+len(data)-len(placeholder))
	out = append(out, valueMagic...)
	out = strconv.AppendInt(out, int64(len(metaJSON)), 10)
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(at), 10)
	out = append(out, '\n')
	out = append(out, metaJSON...)
	out = append(out, data[:at]...)
	out = append(out, data[at+len(placeholder):]...)
	return out, nil
}

// value is a decoded object value: both parts still encoded.
type value struct {
	meta   []byte
	object []byte
	rvAt   int
}

var errBadValue = errors.New("not a certflow object value")

// parseValue splits a value into its parts. It allocates nothing.
func parseValue(b []byte) (value, error) {
	rest, ok := bytes.CutPrefix(b, []byte(valueMagic))
	if !ok {
		return value{}, errBadValue
	}
	header, body, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return value{}, errBadValue
	}
	metaLen, rvAt, ok := parseHeader(header)
	if !ok || metaLen > len(body) || rvAt > len(body)-metaLen {
		return value{}, fmt.Errorf("%w: bad header %q", errBadValue, header)
	}
	return value{meta: body[:metaLen], object: body[metaLen:], rvAt: rvAt}, nil
}

func parseHeader(h []byte) (metaLen, rvAt int, ok bool) {
	a, b, ok := bytes.Cut(h, []byte{' '})
	if !ok {
		return 0, 0, false
	}
	m, err1 := strconv.Atoi(string(a))
	r, err2 := strconv.Atoi(string(b))
	if err1 != nil || err2 != nil || m < 0 || r < 0 {
		return 0, 0, false
	}
	return m, r, true
}

// objectAt returns the object's JSON with its ResourceVersion rev, in a new
// slice.
func (v value) objectAt(rev int64) []byte {
	out := make([]byte, 0, len(v.object)+20)
	out = append(out, v.object[:v.rvAt]...)
	out = strconv.AppendInt(out, rev, 10)
	return append(out, v.object[v.rvAt:]...)
}

// decodeMeta returns the object's metadata with its ResourceVersion rev.
func (v value) decodeMeta(rev int64) (meta.ObjectMeta, error) {
	var m meta.ObjectMeta
	if err := json.Unmarshal(v.meta, &m); err != nil {
		return meta.ObjectMeta{}, fmt.Errorf("metadata: %w", err)
	}
	m.ResourceVersion = objects.FormatRevision(uint64(rev))
	return m, nil
}

// metaOf returns the metadata of the object ref, with its ResourceVersion
// rev; metadata naming another object is an error.
func (v value) metaOf(ref meta.Ref, rev int64) (meta.ObjectMeta, error) {
	m, err := v.decodeMeta(rev)
	if err != nil {
		return m, err
	}
	if m.Name != ref.Name || m.Namespace != ref.Namespace {
		return meta.ObjectMeta{}, fmt.Errorf("metadata names %s/%s", m.Namespace, m.Name)
	}
	return m, nil
}

// listedMeta is metaOf for a List, which looks at labels and owners only
// when it filters by them: otherwise only what names the object is decoded
// (objects.DecodeListedMeta) from metadata checked to be valid JSON. A
// Manager's start lists every object, and json.Unmarshal of each one's
// whole metadata was an eighth of a restart's CPU on 100k certificates.
func (v value) listedMeta(ref meta.Ref, rev int64, filtered bool) (meta.ObjectMeta, error) {
	var m meta.ObjectMeta
	if filtered || !jsonmember.Valid(v.meta) || !objects.DecodeListedMeta(v.meta, &m) {
		return v.metaOf(ref, rev)
	}
	if m.Name != ref.Name || m.Namespace != ref.Namespace {
		return meta.ObjectMeta{}, fmt.Errorf("metadata names %s/%s", m.Namespace, m.Name)
	}
	m.ResourceVersion = objects.FormatRevision(uint64(rev))
	return m, nil
}

// corruptValue describes an unreadable value of ref stored at key.
func corruptValue(ref meta.Ref, key []byte, err error) error {
	return &store.CorruptError{Ref: ref, Where: "etcd key " + string(key), Err: err}
}
