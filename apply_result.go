package certflow

// ApplyResult says what an Apply did, in kubectl apply's words.
type ApplyResult string

const (
	// ApplyCreated: the object did not exist; Apply created it.
	ApplyCreated ApplyResult = "created"
	// ApplyConfigured: Apply updated the stored object (its spec, labels,
	// annotations or deletion time differed).
	ApplyConfigured ApplyResult = "configured"
	// ApplyUnchanged: the stored object was as applied already; Apply
	// wrote nothing.
	ApplyUnchanged ApplyResult = "unchanged"
)

// ReportResult makes Apply set *to to what it did, when it returns nil:
// what a tool applying a manifest tells its user for each object, known
// without reading the object beforehand (a read that another writer could
// make stale before Apply's own).
func ReportResult(to *ApplyResult) ApplyOption {
	return applyOptionFunc(func(o *applyOptions) { o.result = to })
}
