//go:build !race

package certflow

// raceEnabled says the race detector is on: tests that size their load by
// time choose a smaller load.
const raceEnabled = false
