package acmetest

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// envMu serializes the construction of Pebble's parts across all Servers of
// the process. It is the package's only mutable package-level state, and it
// cannot be avoided: Pebble v2.10.3 reads some knobs only from process-wide
// environment variables, at construction time — va.New reads
// PEBBLE_VA_NOSLEEP, PEBBLE_VA_SLEEPTIME and PEBBLE_VA_ALWAYS_VALID; wfe.New
// reads PEBBLE_WFE_NONCEREJECT, PEBBLE_AUTHZREUSE and
// PEBBLE_WFE_ORDERS_PER_PAGE; ca.New reads none (alternate roots and chain
// length are arguments; only Pebble's main reads them from the environment).
// Each Server sets the variables to its own values, constructs, and restores
// the previous values, all under envMu, so Servers built concurrently (e.g.
// in parallel subtests) each get their own knobs. The values are read once,
// so later changes to the environment do not affect a running Server.
var envMu sync.Mutex

// pebbleParts are the constructed pieces of one Pebble instance.
type pebbleParts struct {
	db   *db.MemoryStore
	ca   *ca.CAImpl
	acme http.Handler
	mgmt http.Handler
}

// env returns the PEBBLE_* variables for c. Every variable Pebble reads is
// listed, so a value left in the environment by someone else never leaks in.
func (c *config) env() map[string]string {
	env := map[string]string{
		"PEBBLE_VA_NOSLEEP":          "1",
		"PEBBLE_VA_SLEEPTIME":        "",
		"PEBBLE_VA_ALWAYS_VALID":     "0",
		"PEBBLE_WFE_NONCEREJECT":     strconv.Itoa(c.nonceReject),
		"PEBBLE_AUTHZREUSE":          strconv.Itoa(c.authzReuse),
		"PEBBLE_WFE_ORDERS_PER_PAGE": strconv.Itoa(c.ordersPerPage),
	}
	if c.vaSleep > 0 {
		env["PEBBLE_VA_NOSLEEP"] = "0"
		env["PEBBLE_VA_SLEEPTIME"] = strconv.FormatInt(int64(c.vaSleep/time.Second), 10)
	}
	if c.alwaysValid {
		env["PEBBLE_VA_ALWAYS_VALID"] = "1"
	}
	return env
}

// setEnv sets env and returns a function restoring the previous values.
func setEnv(env map[string]string) (restore func()) {
	type prev struct {
		value string
		set   bool
	}
	saved := make(map[string]prev, len(env))
	for k, v := range env {
		old, ok := os.LookupEnv(k)
		saved[k] = prev{old, ok}
		_ = os.Setenv(k, v)
	}
	return func() {
		for k, p := range saved {
			if p.set {
				_ = os.Setenv(k, p.value)
			} else {
				_ = os.Unsetenv(k)
			}
		}
	}
}

// profiles converts the configured profiles to Pebble's.
func (c *config) pebbleProfiles() map[string]ca.Profile {
	src := c.profiles
	if len(src) == 0 {
		src = map[string]Profile{"default": {Description: "The default profile"}}
	}
	out := make(map[string]ca.Profile, len(src))
	for name, p := range src {
		validity := p.ValidityPeriod
		if validity == 0 {
			validity = c.validity
		}
		out[name] = ca.Profile{
			Description:       p.Description,
			PromoteCommonName: p.PromoteCommonName,
			ValidityPeriod:    uint64(validity / time.Second),
		}
	}
	return out
}

// buildPebble constructs Pebble's parts for c with the environment set for c.
// Pebble panics on some construction errors (key generation); they are
// returned as errors.
func buildPebble(c *config, logger *log.Logger, resolver string) (parts *pebbleParts, err error) {
	envMu.Lock()
	defer envMu.Unlock()
	restore := setEnv(c.env())
	defer restore()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("acmetest: start: pebble: %v", r)
		}
	}()

	store := db.NewMemoryStore()
	for kid, key := range c.eabKeys {
		if err := store.AddExternalAccountKeyByID(kid, key); err != nil {
			// Pebble's message quotes the key; name only the key ID.
			return nil, fmt.Errorf("acmetest: start: add EAB key %q: %w", kid, ErrInvalidOption)
		}
	}
	for _, name := range c.domainBlocklist {
		if err := store.AddBlockedDomain(name); err != nil {
			return nil, fmt.Errorf("acmetest: start: block domain %q: %w", name, err)
		}
	}
	authority := ca.New(logger, store, "", c.keyAlgorithm, c.alternateRoots, c.chainLength, c.pebbleProfiles())
	validator := va.New(logger, c.httpPort, c.tlsPort, c.strict, resolver, store)
	front := wfe.New(logger, store, validator, authority,
		[]string{"pebble.letsencrypt.org"}, c.strict, c.eabRequired,
		int(retryAfterSeconds(c.retryAfterAuthz)), int(retryAfterSeconds(c.retryAfterOrder)))
	return &pebbleParts{
		db:   store,
		ca:   authority,
		acme: front.Handler(),
		mgmt: front.ManagementHandler(),
	}, nil
}
