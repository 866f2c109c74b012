// Package storetest is the conformance suite every store.Store implementation
// runs: call Run from a test with a constructor for fresh, empty stores.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
//			return memory.New(memory.WithClock(clk))
//		})
//	}
//
// Run hands the constructor a *clock.Fake so it can check CreationTime and
// lease expiry without waiting; the store must read time only from it.
package storetest
