// Package measure measures a Manager holding many certificates (issue 11):
// N Certificates issued by one CA Issuer, whether each name is served the
// moment its Certificate turns Ready, the Store work that follows, memory,
// CPU and Store calls while nothing is due, and a restart on the same
// Store. cmd/scale runs it on the memory and file stores, and store/etcd's
// cmd/scale on an embedded etcd: store/etcd is a module of its own, so
// this package sits outside internal/, as cmd/certflow/cli does.
//
// It counts the Manager's Store calls with a storecount wrapper, and reads
// what it needs itself (readiness, the list of names) straight from the
// unwrapped Store, so its own reads never show up in the counts.
package measure
