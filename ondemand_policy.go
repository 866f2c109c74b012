package certflow

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// ask sends GET AskURL?domain=name; 2xx allows. The body is not quoted
// (the endpoint is trusted for its status only), but up to
// askDrainLimit of it is read so that the connection can be reused.
func (od *onDemand) ask(ctx context.Context, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, askURL(od.cfg.AskURL, name), nil)
	if err != nil {
		return err
	}
	resp, err := od.cfg.AskClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask endpoint: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, askDrainLimit))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("ask endpoint answered %d", resp.StatusCode)
	}
	return nil
}

// askDrainLimit bounds the body of an ask answer read for the sake of
// connection reuse: a longer one costs its connection instead.
const askDrainLimit = 4 << 10

// askURL appends domain=name to base's query as it is: re-encoding it
// would reorder its parameters and break a pre-signed URL.
func askURL(base, name string) string {
	u, err := url.Parse(base)
	if err != nil { // problems() refused it already
		return base
	}
	param := "domain=" + url.QueryEscape(name)
	switch {
	case u.RawQuery == "":
		u.RawQuery = param
	case strings.HasSuffix(u.RawQuery, "&"):
		u.RawQuery += param
	default:
		u.RawQuery += "&" + param
	}
	return u.String()
}
