package route53test

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// Op names one API operation the Server answers.
type Op string

// Operations the Server answers.
const (
	OpListHostedZonesByName    Op = "ListHostedZonesByName"
	OpListResourceRecordSets   Op = "ListResourceRecordSets"
	OpChangeResourceRecordSets Op = "ChangeResourceRecordSets"
	OpGetChange                Op = "GetChange"
	OpAssumeRole               Op = "AssumeRole"
)

// RecordSink receives the TXT records of public zones whenever they change,
// for instance acmetest's in-process DNS server. SetTXT with no values means
// the set was deleted.
type RecordSink interface {
	SetTXT(name string, values ...string)
}

// Server is an in-process Route 53 (and STS AssumeRole) endpoint on
// 127.0.0.1. It is safe for concurrent use. The zero value is not usable:
// use NewServer in tests, Start elsewhere.
type Server struct {
	srv *httptest.Server

	mu           sync.Mutex
	zones        []*zoneState
	changes      map[string]*changeState
	seq          int
	pendingPolls int
	calls        map[Op]int
	keyIDs       []string
	roles        []string
	failures     map[Op][]apiError
	onChange     func(name string, values []string)
}

type changeState struct {
	id, submittedAt, comment string
	pendingLeft              int // GetChange answers PENDING while > 0; negative: forever
}

// NewServer starts a Server with the given zones and closes it when the test
// ends.
func NewServer(t testing.TB, zones ...Zone) *Server {
	t.Helper()
	s := Start(zones...)
	t.Cleanup(s.Close)
	return s
}

// Start starts a Server with the given zones; the caller must Close it.
func Start(zones ...Zone) *Server {
	s := &Server{changes: map[string]*changeState{}, calls: map[Op]int{}, failures: map[Op][]apiError{}}
	for _, z := range zones {
		s.zones = append(s.zones, newZoneState(z, len(s.zones)))
	}
	sortZones(s.zones)
	s.srv = httptest.NewServer(s.routes())
	return s
}

// Close stops the server and waits for in-flight requests.
func (s *Server) Close() { s.srv.Close() }

// URL is the base URL to pass as the SDK's BaseEndpoint (for Route 53 and STS).
func (s *Server) URL() string { return s.srv.URL }

// AddZone adds a hosted zone and returns its ID.
func (s *Server) AddZone(z Zone) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	zs := newZoneState(z, len(s.zones))
	s.zones = append(s.zones, zs)
	sortZones(s.zones)
	return zs.id
}

// Records returns the decoded TXT values at name (any case, trailing dot
// optional) in the longest public zone containing it — what a resolver
// would be served. It is nil if there are none.
func (s *Server) Records(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonical(name)
	var best *zoneState
	for _, z := range s.zones {
		if !z.private && inZone(name, z.name) && (best == nil || len(z.name) > len(best.name)) {
			best = z
		}
	}
	if best == nil {
		return nil
	}
	set, ok := best.sets[rrKey{name, "TXT"}]
	if !ok {
		return nil
	}
	return txtTexts(set.values)
}

// RecordSet returns the TTL and the raw values (as sent, quotes included) of
// the set (name, typ) in the zone with the given ID.
func (s *Server) RecordSet(zoneID, name, typ string) (ttl int64, values []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zoneLocked(zoneID)
	if z == nil {
		return 0, nil, false
	}
	set, ok := z.sets[rrKey{canonical(name), typ}]
	return set.ttl, slices.Clone(set.values), ok
}

// Calls returns how many requests for op the Server has answered, errors
// included.
func (s *Server) Calls(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// AccessKeyIDs returns the distinct access key IDs seen in Authorization
// headers, in order of first use.
func (s *Server) AccessKeyIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keyIDs)
}

// AssumedRoles returns the role ARNs of every AssumeRole call, in order.
func (s *Server) AssumedRoles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.roles)
}

// SetPendingPolls makes every change submitted from now on answer PENDING to
// its first n GetChange calls and INSYNC afterwards. 0 (the default) means
// INSYNC at the first GetChange; a negative n means PENDING forever.
// ChangeResourceRecordSets itself always answers PENDING, as Route 53 does.
func (s *Server) SetPendingPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pendingPolls = n
}

// FailNext makes the next call of op fail with the given HTTP status and
// Route 53 error code and message, without side effects. Failures queue up.
func (s *Server) FailNext(op Op, status int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[op] = append(s.failures[op], apiError{status: status, code: code, message: message})
}

// OnChange sets the hook called after every change to a TXT set of a public
// zone, with the set's canonical name (lower case, trailing dot) and its
// decoded values (none when deleted). It replaces any earlier hook (nil
// removes it). Hooks run one at a time in commit order, under the Server's
// lock, so they MUST NOT call back into the Server.
func (s *Server) OnChange(f func(name string, values []string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = f
}

// PublishTo mirrors every TXT change of a public zone into sink; it is
// OnChange(sink.SetTXT).
func (s *Server) PublishTo(sink RecordSink) {
	s.OnChange(func(name string, values []string) { sink.SetTXT(name, values...) })
}

func (s *Server) zoneLocked(id string) *zoneState {
	for _, z := range s.zones {
		if z.id == id {
			return z
		}
	}
	return nil
}

// Seed writes the set (name, typ) in the zone with the given ID as if
// another tool had, bypassing validation; values are raw (quote TXT values
// yourself). No values deletes the set. The sink is told about TXT sets.
func (s *Server) Seed(zoneID, name, typ string, ttl int64, values ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zoneLocked(zoneID)
	if z == nil {
		return fmt.Errorf("route53test: seed: no hosted zone %q", zoneID)
	}
	key := rrKey{canonical(name), typ}
	if !inZone(key.name, z.name) {
		return fmt.Errorf("route53test: seed: %s is not in zone %s", key.name, z.name)
	}
	if len(values) == 0 {
		delete(z.sets, key)
	} else {
		z.sets[key] = rrset{ttl: ttl, values: slices.Clone(values)}
	}
	if typ == "TXT" && s.onChange != nil && !z.private {
		s.onChange(key.name, txtTexts(values))
	}
	return nil
}
