package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/certflow/certflow/meta"
)

// Encode writes obj as a YAML manifest, with apiVersion and kind taken from
// obj's Kind (whatever its TypeMeta holds) and an empty status left out.
// obj is not modified. Decode reads the result back into an equal object.
func Encode(obj meta.Object) ([]byte, error) {
	if obj == nil {
		return nil, fmt.Errorf("%w: nil object", ErrEncode)
	}
	kind := obj.GetKind()
	apiVersion := kind.APIVersion()
	if apiVersion == "" {
		return nil, fmt.Errorf("%w: kind %q has no apiVersion", ErrEncode, kind)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEncode, kind, err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEncode, kind, err)
	}
	m["apiVersion"], m["kind"] = apiVersion, string(kind)
	// encoding/json cannot omit an empty struct; a manifest should.
	if st, ok := m["status"].(map[string]any); ok && len(st) == 0 {
		delete(m, "status")
	}
	if raw, err = json.Marshal(m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEncode, kind, err)
	}
	y, err := yaml.JSONToYAML(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEncode, kind, err)
	}
	return y, nil
}

// EncodeAll writes objs as one multi-document YAML stream, `---` between
// documents, in the given order.
func EncodeAll(objs ...meta.Object) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		y, err := Encode(o)
		if err != nil {
			return nil, fmt.Errorf("%w (object %d)", err, i)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}
