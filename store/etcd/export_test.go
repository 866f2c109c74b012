package etcd

// SetPageBytes sets the byte target of s's growing List pages, so that a test
// sees pages shrink without writing DefaultPageBytes many times over.
func SetPageBytes(s *Store, n int64) { s.pageBytes = n }
