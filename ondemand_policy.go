package certflow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// decide asks the policy whether name may get a certificate: Allow, then
// AskURL, both within DecisionTimeout. A denial, a failed request and a
// timeout all deny (fail closed), wrapped in ErrOnDemandDenied.
func (od *onDemand) decide(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, od.cfg.DecisionTimeout)
	defer cancel()
	if od.cfg.Allow != nil {
		if err := od.cfg.Allow(ctx, name); err != nil {
			return fmt.Errorf("%w: %q: %w", ErrOnDemandDenied, name, err)
		}
	}
	if od.cfg.AskURL != "" {
		if err := od.ask(ctx, name); err != nil {
			return fmt.Errorf("%w: %q: %w", ErrOnDemandDenied, name, err)
		}
	}
	return nil
}

// ask sends GET AskURL?domain=name; 2xx allows. The body is neither read
// nor quoted: the endpoint is trusted for its status only.
func (od *onDemand) ask(ctx context.Context, name string) error {
	u, err := url.Parse(od.cfg.AskURL)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("domain", name)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := od.cfg.AskClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask endpoint: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("ask endpoint answered %d", resp.StatusCode)
	}
	return nil
}
