package acmeproto

// Status is the status of an ACME order, authorization or challenge as the
// CA reports it (RFC 8555 §7.1.6).
type Status string

// The statuses of RFC 8555 §7.1.6.
const (
	StatusPending     Status = "pending"
	StatusReady       Status = "ready"
	StatusProcessing  Status = "processing"
	StatusValid       Status = "valid"
	StatusInvalid     Status = "invalid"
	StatusExpired     Status = "expired"
	StatusDeactivated Status = "deactivated"
	StatusRevoked     Status = "revoked"
)

// Final reports whether s can no longer change.
func (s Status) Final() bool {
	switch s {
	case StatusValid, StatusInvalid, StatusExpired, StatusDeactivated, StatusRevoked:
		return true
	case StatusPending, StatusReady, StatusProcessing:
		return false
	}
	return false
}
