package route53test

import (
	"fmt"
	"sort"
)

// Zone is a hosted zone the Server serves.
type Zone struct {
	// ID is the hosted zone ID without the "/hostedzone/" prefix. If empty,
	// "ZTEST" followed by the zone's position among all zones is used.
	ID string
	// Name is the zone's DNS name; the trailing dot is optional.
	Name string
	// Private marks a private hosted zone: it is listed (so zone lookup can
	// be tested to skip it) but its records are never published to the sink.
	Private bool
}

type rrKey struct{ name, typ string }

// rrset holds values exactly as the client sent them (quoted, for TXT).
type rrset struct {
	ttl    int64
	values []string
}

type zoneState struct {
	id, name string
	private  bool
	sets     map[rrKey]rrset
}

func newZoneState(z Zone, index int) *zoneState {
	zs := &zoneState{id: z.ID, name: canonical(z.Name), private: z.Private, sets: map[rrKey]rrset{}}
	if zs.id == "" {
		zs.id = fmt.Sprintf("ZTEST%05d", index+1)
	}
	// Route 53 creates the apex SOA and NS sets with every zone; listing
	// them keeps a record-set lookup honest about checking the name it got.
	zs.sets[rrKey{zs.name, "SOA"}] = rrset{ttl: 900, values: []string{
		"ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}}
	zs.sets[rrKey{zs.name, "NS"}] = rrset{ttl: 172800, values: []string{
		"ns-1.awsdns-00.com.", "ns-2.awsdns-00.net.", "ns-3.awsdns-00.org.", "ns-4.awsdns-00.co.uk."}}
	return zs
}

// sortedKeys returns the zone's record sets in Route 53's listing order.
func (z *zoneState) sortedKeys() []rrKey {
	keys := make([]rrKey, 0, len(z.sets))
	for k := range z.sets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return compareKeys(keys[i], keys[j]) < 0 })
	return keys
}

func compareKeys(a, b rrKey) int {
	if c := compareNames(a.name, b.name); c != 0 {
		return c
	}
	switch {
	case a.typ < b.typ:
		return -1
	case a.typ > b.typ:
		return 1
	}
	return 0
}

// sortZones orders zones as ListHostedZonesByName lists them: by name with
// labels reversed, then by ID.
func sortZones(zones []*zoneState) {
	sort.SliceStable(zones, func(i, j int) bool {
		if c := compareNames(zones[i].name, zones[j].name); c != 0 {
			return c < 0
		}
		return zones[i].id < zones[j].id
	})
}
