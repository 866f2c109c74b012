package etcd

import "google.golang.org/grpc"

// SetPageBytes sets the byte target of s's growing List pages, so that a test
// sees pages shrink without writing DefaultPageBytes many times over.
func SetPageBytes(s *Store, n int64) { s.pageBytes = n }

// OpenDialling is Open with dial added to the options of the client the
// store dials itself, so a test can watch its requests.
func OpenDialling(cfg Config, dial ...grpc.DialOption) (*Store, error) { return open(cfg, dial) }

// ScanStopEvery is how many keys of a kind apart a Scan's requests end.
const ScanStopEvery = scanStopEvery
