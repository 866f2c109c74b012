package objects

import (
	"fmt"
	"strings"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// MaxNameLen bounds kinds, namespaces, names and lock names. It matches
// Kubernetes' DNS-subdomain limit and stays far below file-name limits.
const MaxNameLen = 253

// ValidateRef checks that ref can be stored by every implementation: kind and
// name are set, the namespace is empty exactly for cluster-scoped kinds, and
// no component can escape a directory or hide as a dot file (the file store
// maps components to path elements). Errors wrap store.ErrInvalid.
func ValidateRef(ref meta.Ref) error {
	if ref.Kind == "" {
		return fmt.Errorf("%w: %s: kind is empty", store.ErrInvalid, ref)
	}
	if ref.Name == "" {
		return fmt.Errorf("%w: %s: name is empty", store.ErrInvalid, ref)
	}
	if ref.Kind.ClusterScoped() && ref.Namespace != "" {
		return fmt.Errorf("%w: %s: kind %s is cluster scoped but namespace is set", store.ErrInvalid, ref, ref.Kind)
	}
	if !ref.Kind.ClusterScoped() && ref.Namespace == "" {
		return fmt.Errorf("%w: %s: kind %s needs a namespace", store.ErrInvalid, ref, ref.Kind)
	}
	if err := ValidateName("kind", string(ref.Kind)); err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	if ref.Namespace != "" {
		if err := ValidateName("namespace", ref.Namespace); err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		if strings.HasPrefix(ref.Namespace, "_") {
			// The file store spells "no namespace" as _cluster.
			return fmt.Errorf("%w: %s: namespace must not start with '_'", store.ErrInvalid, ref)
		}
	}
	if err := ValidateName("name", ref.Name); err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	return nil
}

// ValidateName checks one path-safe component (what says which component it
// is): non-empty, at most MaxNameLen bytes, no '/', '\\' or NUL, and not
// starting with '.', which also excludes "." and "..".
func ValidateName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s is empty", store.ErrInvalid, what)
	case len(s) > MaxNameLen:
		return fmt.Errorf("%w: %s is longer than %d bytes", store.ErrInvalid, what, MaxNameLen)
	case s[0] == '.':
		return fmt.Errorf("%w: %s %q starts with '.'", store.ErrInvalid, what, s)
	case !pathSafe(s):
		return fmt.Errorf("%w: %s %q contains '/', '\\' or NUL", store.ErrInvalid, what, s)
	}
	return nil
}

// pathSafe reports whether s holds no '/', '\\' or NUL. Every store call
// checks three names; strings.ContainsAny builds a set of the three bytes
// each time, which cost more than looking at the few bytes of a name.
func pathSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '/' || c == '\\' || c == 0 {
			return false
		}
	}
	return true
}
