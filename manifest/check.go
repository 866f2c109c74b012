package manifest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/certflow/certflow/meta"
)

// problem is one finding of the checker, located by field path.
type problem struct {
	path  string
	err   error
	cause error
}

// checker walks a generic JSON value alongside the Go type it will be
// decoded into. encoding/json stops at the first error and names no path
// for unknown fields or for errors of custom unmarshalers (a bad duration);
// the walk finds them all and says where each one is.
type checker struct {
	strict   bool
	fields   fieldsByType
	problems []problem
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	issuerRefType   = reflect.TypeFor[meta.IssuerRef]()
)

func (c *checker) add(path string, err, cause error) {
	c.problems = append(c.problems, problem{path: path, err: err, cause: cause})
}

func (c *checker) invalid(path, format string, args ...any) {
	c.add(path, ErrInvalidValue, fmt.Errorf(format, args...))
}

// check reports every problem in v as a value of type t at path.
func (c *checker) check(v any, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil { // null leaves any Go value at its zero, as encoding/json does
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		raw, err := json.Marshal(v)
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw)
		}
		if err != nil {
			c.add(path, ErrInvalidValue, err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			c.invalid(path, "want an object, got %s", jsonType(v))
			return
		}
		c.object(m, t, path)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.invalid(path, "want an object, got %s", jsonType(v))
			return
		}
		for _, k := range sortedKeys(m) {
			c.check(m[k], t.Elem(), mapPath(path, k))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s, ok := v.(string)
			if !ok {
				c.invalid(path, "want a base64 string, got %s", jsonType(v))
			} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				c.invalid(path, "want base64: %v", err)
			}
			return
		}
		a, ok := v.([]any)
		if !ok {
			c.invalid(path, "want a list, got %s", jsonType(v))
			return
		}
		for i, e := range a {
			c.check(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			c.invalid(path, "want a string, got %s", jsonType(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			c.invalid(path, "want true or false, got %s", jsonType(v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); !ok || err != nil {
			c.invalid(path, "want an integer of at most %d bits, got %s", t.Bits(), jsonType(v))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); !ok || err != nil {
			c.invalid(path, "want an unsigned integer of at most %d bits, got %s", t.Bits(), jsonType(v))
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseFloat(string(n), t.Bits()); !ok || err != nil {
			c.invalid(path, "want a number, got %s", jsonType(v))
		}
	default: // interfaces take anything; certflow's types hold no other kinds
	}
}

// object checks the members of a JSON object against struct type t.
func (c *checker) object(m map[string]any, t reflect.Type, path string) {
	fields := c.fields.of(t)
	for _, k := range sortedKeys(m) {
		if t == issuerRefType && strings.EqualFold(k, "namespace") {
			c.add(joinPath(path, k), ErrIssuerRefNamespace, nil)
			continue
		}
		if ft, ok := fields[k]; ok {
			c.check(m[k], ft, joinPath(path, k))
			continue
		}
		// encoding/json matches names case-insensitively; Kubernetes does not.
		folded := ""
		for name := range fields {
			if strings.EqualFold(name, k) {
				folded = name
				break
			}
		}
		switch {
		case c.strict && folded != "":
			c.add(joinPath(path, k), ErrUnknownField, fmt.Errorf("did you mean %q?", folded))
		case c.strict:
			c.add(joinPath(path, k), ErrUnknownField, nil)
		case folded != "":
			c.check(m[k], fields[folded], joinPath(path, k))
		}
	}
}

// fieldsByType remembers the jsonFields of each struct type one decode
// meets: a manifest of many objects walks the same few types again and
// again, and listing a type's fields cost more than checking its values.
type fieldsByType map[reflect.Type]map[string]reflect.Type

// of returns jsonFields(t), listed once per decode. The map returned is
// shared: read it only.
func (f fieldsByType) of(t reflect.Type) map[string]reflect.Type {
	fs, ok := f[t]
	if !ok {
		fs = jsonFields(t)
		f[t] = fs
	}
	return fs
}

// jsonFields maps the JSON member names of struct t to their types,
// promoting the fields of untagged embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type)
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, et := range jsonFields(ft) {
					if _, dup := out[n]; !dup {
						out[n] = et
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// mapPath writes map keys that are not plain identifiers (label and
// annotation keys such as cert-manager.io/issuer-name) in brackets.
func mapPath(path, k string) string {
	plain := k != ""
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return joinPath(path, k)
	}
	return fmt.Sprintf("%s[%q]", path, k)
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
