package etcd

// SetPageBytes sets what s's growing List pages aim at, so that a test
// sees pages shrink without writing DefaultPageBytes many times over.
func SetPageBytes(s *Store, n int64) { s.pageBytes = n }
