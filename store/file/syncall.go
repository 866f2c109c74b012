package file

import (
	"os"
	"sync"
)

// syncWorkers bounds the fsyncs syncAll has in flight at once.
const syncWorkers = 16

// syncAll fsyncs files, up to syncWorkers at a time, and returns each
// one's error. Fsyncs in flight together share the file system's journal
// commits and the device's queue. BenchmarkSyncAll, 64 new files of 600
// bytes on this machine's ext4, medians of 3 at load 2.6: one at a time
// 14.0 ms, 4 at a time 8.3, 16 at a time 6.9, all 64 at once 8.2 (at load
// 5, 4 and 16 at a time came out alike).
func syncAll(files []*os.File) []error { return syncAllBy(files, syncWorkers) }

func syncAllBy(files []*os.File, workers int) []error {
	errs := make([]error, len(files))
	slots := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, f := range files {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = f.Sync()
		})
	}
	wg.Wait()
	return errs
}
