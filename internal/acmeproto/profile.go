package acmeproto

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnknownProfile means an order names an ACME profile (the "profiles"
// of the directory's meta, draft-ietf-acme-profiles) that the CA does not
// offer. A *ProfileError carries the details.
var ErrUnknownProfile = errors.New("acmeproto: the CA does not offer this ACME profile")

// ProfileError is an order naming a profile the CA does not offer.
type ProfileError struct {
	Profile string
	// Offered are the CA's profiles, sorted; empty when it offers none.
	Offered []string
}

func (e *ProfileError) Error() string {
	if len(e.Offered) == 0 {
		return fmt.Sprintf("ACME profile %q requested, but the CA offers no profiles", e.Profile)
	}
	return fmt.Sprintf("ACME profile %q is not offered by the CA (it offers: %s)", e.Profile, strings.Join(e.Offered, ", "))
}

// Unwrap makes errors.Is(err, ErrUnknownProfile) hold.
func (e *ProfileError) Unwrap() error { return ErrUnknownProfile }

// CheckProfile returns a *ProfileError unless name is empty or one of the
// profiles the CA's directory lists.
func CheckProfile[V any](name string, offered map[string]V) error {
	if name == "" {
		return nil
	}
	if _, ok := offered[name]; ok {
		return nil
	}
	names := make([]string, 0, len(offered))
	for n := range offered {
		names = append(names, n)
	}
	slices.Sort(names)
	return &ProfileError{Profile: name, Offered: names}
}
