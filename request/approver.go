package request

import "context"

// Decision is an Approver's answer.
type Decision struct {
	Approved bool
	// Reason is recorded on the Approved or Denied condition.
	Reason string
}

// Approver decides whether a CertificateRequest may be signed, like
// cert-manager's approver-policy. Approve is called once per request; an
// error is retried.
type Approver interface {
	Approve(ctx context.Context, req *CertificateRequest) (Decision, error)
}

// ApproveAll approves every request, as cert-manager's default approver does.
type ApproveAll struct{}

var _ Approver = ApproveAll{}

// Approve approves req.
func (ApproveAll) Approve(context.Context, *CertificateRequest) (Decision, error) {
	return Decision{Approved: true, Reason: "Certificate request has been approved by certflow"}, nil
}

// ApproverFunc adapts a function to an Approver.
type ApproverFunc func(ctx context.Context, req *CertificateRequest) (Decision, error)

// Approve calls f.
func (f ApproverFunc) Approve(ctx context.Context, req *CertificateRequest) (Decision, error) {
	return f(ctx, req)
}
