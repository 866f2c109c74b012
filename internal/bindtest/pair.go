package bindtest

import (
	"strconv"
	"testing"
)

// SecondaryIP is the loopback address of the stub nameserver started by
// StartWithStubSecondary (Linux routes all of 127.0.0.0/8 to loopback).
const SecondaryIP = "127.0.0.2"

// StartWithStubSecondary starts named on 127.0.0.1:P as ns1 of every zone
// and a Stub on 127.0.0.2:P as ns2, the same port P on both, so a checker
// configured with NameserverPort P and named as its resolver queries both.
// The stub serves only each zone's SOA and never receives updates, like a
// secondary that stopped transferring; tests Add records to it. opts.IP,
// opts.Port and each zone's NS/NSAddrs are overwritten.
func StartWithStubSecondary(t testing.TB, opts Options) (*Server, *Stub) {
	t.Helper()
	if len(opts.Zones) == 0 {
		opts.Zones = []Zone{{Name: "example.test"}}
	}
	opts.IP = "127.0.0.1"
	opts.Port = FreePort(t, opts.IP, SecondaryIP)
	zones := make([]Zone, len(opts.Zones))
	names := make([]string, len(opts.Zones))
	for i, z := range opts.Zones {
		z.NS = []string{"ns1", "ns2"}
		z.NSAddrs = map[string]string{"ns2": SecondaryIP}
		zones[i], names[i] = z, z.Name
	}
	opts.Zones = zones
	srv := Start(t, opts)
	return srv, StartStub(t, SecondaryIP+":"+strconv.Itoa(opts.Port), names)
}
