package replicatest

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/certflow/certflow/acmetest"
)

// Ledger is what the CA did, per identifier.
type Ledger struct {
	// NewOrders counts the orders created (newOrder answered 201) for
	// each identifier.
	NewOrders map[string]int
	// Finalizes counts the finalize POSTs that reached the CA for orders
	// of each identifier.
	Finalizes map[string]int
	// Issued counts the certificates issued for each identifier.
	Issued map[string]int
	// Accepts counts the challenge accept POSTs, per challenge URL path.
	Accepts map[string]int
}

// ReadLedger reads srv's ledger.
func ReadLedger(ctx context.Context, srv *acmetest.Server) (Ledger, error) {
	l := Ledger{NewOrders: map[string]int{}, Finalizes: map[string]int{}, Issued: map[string]int{},
		Accepts: srv.PostsPerPath(acmetest.EndpointChallenge)}
	for _, r := range srv.NewOrders() {
		if r.Status == http.StatusCreated {
			for _, id := range r.Identifiers {
				l.NewOrders[id]++
			}
		}
	}
	orders := srv.Orders(ctx)
	if orders == nil && ctx.Err() != nil {
		return Ledger{}, ctx.Err()
	}
	byID := map[string][]string{}
	for _, o := range orders {
		byID[o.ID] = o.Identifiers
		if o.Certificate != nil {
			for _, id := range o.Identifiers {
				l.Issued[id]++
			}
		}
	}
	for p, n := range srv.PostsPerPath(acmetest.EndpointFinalize) {
		ids, ok := byID[path.Base(p)]
		if !ok {
			return Ledger{}, fmt.Errorf("replicatest: finalize %s names no order of the CA", p)
		}
		for _, id := range ids {
			l.Finalizes[id] += n
		}
	}
	return l, nil
}

// OverOne lists the keys of m counted more than once, with their counts.
func OverOne(m map[string]int) []string {
	var out []string
	for k, n := range m {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s×%d", k, n))
		}
	}
	sort.Strings(out)
	return out
}

// NotOnce lists the names that m does not count exactly once, with their
// counts, and the names m counts that are not among names.
func NotOnce(m map[string]int, names []string) []string {
	var out []string
	want := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(n)
		want[n] = true
		if m[n] != 1 {
			out = append(out, fmt.Sprintf("%s×%d", n, m[n]))
		}
	}
	for k, n := range m {
		if !want[k] {
			out = append(out, fmt.Sprintf("unexpected %s×%d", k, n))
		}
	}
	sort.Strings(out)
	return out
}
