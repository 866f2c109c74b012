package file

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSyncAll fsyncs 64 new files of 600 bytes (a turn of
// CreateBatch's temporary files) with 1, 4, 16 and 64 fsyncs in flight:
// the grounds for syncWorkers. Reported per turn.
func BenchmarkSyncAll(b *testing.B) {
	data := make([]byte, 600)
	for _, workers := range []int{1, 4, syncWorkers, 64} {
		b.Run(fmt.Sprint("workers=", workers), func(b *testing.B) {
			dir := b.TempDir()
			turn := 0
			for b.Loop() {
				b.StopTimer()
				files := make([]*os.File, 64)
				for i := range files {
					f, err := os.Create(filepath.Join(dir, fmt.Sprintf("t%d-%d", turn, i)))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := f.Write(data); err != nil {
						b.Fatal(err)
					}
					files[i] = f
				}
				turn++
				b.StartTimer()
				for _, err := range syncAllBy(files, workers) {
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				for _, f := range files {
					_ = f.Close()
				}
				b.StartTimer()
			}
		})
	}
}
