// Package cputime tells the CPU time the whole process has used, so a
// benchmark run on a shared machine can report what it cost beside how
// long it took. Only tests and benchmarks import it: the file and etcd
// stores' and e2e's.
package cputime
