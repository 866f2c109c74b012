// Package libdnssolver turns any DNS provider that implements libdns's
// record interfaces (github.com/libdns/libdns v1: RecordAppender and
// RecordDeleter) into a DNS-01 solver.Solver.
//
// The zone each record is written in is either fixed (Config.Zone) or found
// per record by a ZoneFinder, for instance the DNS-01 checker's SOA walk.
// Record names are given to the provider relative to the zone, as libdns
// requires. Present appends only the challenge's TXT value and CleanUp
// deletes only that value, so the apex and wildcard challenges of one name
// coexist in one RRset without a read-modify-write; libdns providers are
// required to be safe for concurrent use, so no lock is taken here.
//
// Provider wraps one configured libdns provider as a solver.DNS01Provider,
// to be registered with the Manager under the webhook solverName that
// issuers name in their dns01.webhook configuration.
package libdnssolver
