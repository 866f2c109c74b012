package challenge

// OwnersTrustedFor is ownersTrustedFor, for the tests that pin it.
const OwnersTrustedFor = ownersTrustedFor

// UnseenBeforeSkip and ProbeEvery are the fetch wait's gate, for the test
// that pins it.
const (
	UnseenBeforeSkip = unseenBeforeSkip
	ProbeEvery       = probeEvery
)
