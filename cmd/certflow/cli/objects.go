package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/manifest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// selection is what a verb works on: one kind, and either named objects
// or every object in the namespace(s) matching the labels.
type selection struct {
	res    *resource
	names  []string
	ns     string // "" with --all-namespaces or for cluster-scoped kinds
	labels map[string]string
}

// fetch reads the selected objects. Named objects that do not exist (or
// cannot be read) are reported in the error, after the ones found.
func (s *session) fetch(ctx context.Context, sel selection) ([]meta.Object, error) {
	if len(sel.names) == 0 {
		return s.m.List(ctx, sel.res.kind, certflow.ListOptions{Namespace: sel.ns, Labels: sel.labels})
	}
	var (
		out  []meta.Object
		errs []error
	)
	for _, name := range sel.names {
		ref := meta.Ref{Kind: sel.res.kind, Namespace: sel.ns, Name: name}
		obj, err := s.get(ctx, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, obj)
	}
	return out, errors.Join(errs...)
}

// get reads one object, saying "not found" as kubectl does.
func (s *session) get(ctx context.Context, ref meta.Ref) (meta.Object, error) {
	obj := resourceOf(ref.Kind).new()
	if err := s.m.Get(ctx, ref, obj); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(ref)
		}
		return nil, err
	}
	return obj, nil
}

// objectMap is obj as its manifest, in JSON form: apiVersion and kind set,
// numbers kept exact.
func objectMap(obj meta.Object) (map[string]any, error) {
	y, err := manifest.Encode(obj)
	if err != nil {
		return nil, err
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseSelector reads kubectl's equality selector: key=value[,key=value].
func parseSelector(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		v = strings.TrimPrefix(v, "=") // k==v
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.HasSuffix(k, "!") || strings.ContainsAny(v, "=!") {
			return nil, usagef("selector %q: only key=value terms, joined by commas, are supported", s)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// notFoundError says a named object does not exist, as kubectl says it;
// it matches store.ErrNotFound.
type notFoundError struct{ ref meta.Ref }

func (e *notFoundError) Error() string { return refName(e.ref) + " not found" }
func (e *notFoundError) Unwrap() error { return store.ErrNotFound }

func notFound(ref meta.Ref) error { return &notFoundError{ref} }
