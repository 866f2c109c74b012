package dns01

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/miekg/dns"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotPropagated means at least one authoritative nameserver does not
	// serve the value yet (NXDOMAIN, NODATA, other values only, or a CNAME
	// the others do not have). It is wrapped by *PropagationError.
	ErrNotPropagated = errors.New("dns01: record not propagated")
	// ErrServerFailure means a server answered SERVFAIL, REFUSED or another
	// error rcode. It is wrapped by *QueryError.
	ErrServerFailure = errors.New("dns01: server failure")
	// ErrNoZone means the SOA walk reached the root without finding a zone.
	ErrNoZone = errors.New("dns01: no zone found")
	// ErrNoNameservers means a zone has no NS records, or none resolves.
	ErrNoNameservers = errors.New("dns01: no authoritative nameservers")
	// ErrCNAMELoop means a CNAME chain came back to a name already visited.
	ErrCNAMELoop = errors.New("dns01: CNAME loop")
	// ErrTooManyCNAMEs means a CNAME chain is longer than Config.MaxCNAMEHops.
	ErrTooManyCNAMEs = errors.New("dns01: CNAME chain too long")
	// ErrWaitTimeout means Wait's Config.Timeout passed before the check did.
	ErrWaitTimeout = errors.New("dns01: propagation wait timed out")
)

// QueryError is one query that got no usable answer: an error rcode
// (Err wraps ErrServerFailure) or a transport error such as a timeout.
type QueryError struct {
	Server string // host:port queried
	Name   string // owner name asked for
	Qtype  uint16
	Rcode  int   // the reply's rcode; -1 when no reply arrived
	Err    error // ErrServerFailure, or the transport error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("dns01: %s %s at %s: %s", dns.TypeToString[e.Qtype], e.Name, e.Server, e.short())
}

func (e *QueryError) short() string {
	if e.Rcode >= 0 {
		return dns.RcodeToString[e.Rcode]
	}
	var ne net.Error
	if errors.As(e.Err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return e.Err.Error()
}

func (e *QueryError) Unwrap() error { return e.Err }

// Status is what one authoritative nameserver said about the record.
type Status int

// Statuses, from good to bad.
const (
	StatusFound      Status = iota // the expected value is in the TXT RRset
	StatusWrongValue               // TXT records exist, none with the value
	StatusNoData                   // the name exists without TXT records
	StatusNXDomain                 // the name does not exist
	StatusCNAME                    // the name is a CNAME (Target)
	StatusFailed                   // no usable answer (Err)
)

// ServerResult is one nameserver's answer in a check.
type ServerResult struct {
	Host   string // NS host name, canonical
	Addr   string // ip:port queried
	Status Status
	Values int    // number of TXT values seen, for StatusWrongValue
	Target string // CNAME target, for StatusCNAME
	Err    error  // for StatusFailed
}

func (r ServerResult) String() string {
	var what string
	switch r.Status {
	case StatusFound:
		what = "found"
	case StatusWrongValue:
		what = fmt.Sprintf("%d other TXT value(s)", r.Values)
	case StatusNoData:
		what = "NODATA"
	case StatusNXDomain:
		what = "NXDOMAIN"
	case StatusCNAME:
		what = "CNAME " + strings.TrimSuffix(r.Target, ".")
	case StatusFailed:
		var qe *QueryError
		if errors.As(r.Err, &qe) {
			what = qe.short()
		} else {
			what = fmt.Sprint(r.Err)
		}
	}
	return fmt.Sprintf("%s (%s): %s", strings.TrimSuffix(r.Host, "."), r.Addr, what)
}

// PropagationError says which authoritative nameserver answered what when
// a check fails. Its message is meant for a Challenge's reason, e.g.
// "dns01: _acme-challenge.example.test. not propagated: ns2.example.test
// (127.0.0.2:53): NXDOMAIN; ns1.example.test (127.0.0.1:53): found".
type PropagationError struct {
	// FQDN is the name checked at the end of any CNAME chain.
	FQDN string
	// Results holds one entry per nameserver address, failures first.
	Results []ServerResult
}

func newPropagationError(fqdn string, results []ServerResult) *PropagationError {
	rs := append([]ServerResult(nil), results...)
	sort.SliceStable(rs, func(i, j int) bool {
		if (rs[i].Status == StatusFound) != (rs[j].Status == StatusFound) {
			return rs[j].Status == StatusFound
		}
		return rs[i].Host+rs[i].Addr < rs[j].Host+rs[j].Addr
	})
	return &PropagationError{FQDN: fqdn, Results: rs}
}

func (e *PropagationError) Error() string {
	parts := make([]string, len(e.Results))
	for i, r := range e.Results {
		parts[i] = r.String()
	}
	return fmt.Sprintf("dns01: %s not propagated: %s", e.FQDN, strings.Join(parts, "; "))
}

// Unwrap returns ErrNotPropagated when some server lacks the value, and
// the error of every server that failed.
func (e *PropagationError) Unwrap() []error {
	var errs []error
	missing := false
	for _, r := range e.Results {
		switch r.Status {
		case StatusFound:
		case StatusFailed:
			errs = append(errs, r.Err)
		default:
			missing = true
		}
	}
	if missing {
		errs = append([]error{ErrNotPropagated}, errs...)
	}
	return errs
}
