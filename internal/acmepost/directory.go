package acmepost

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"golang.org/x/crypto/acme"
)

// directory is what certflow reads from a CA's directory beyond what
// x/crypto/acme's Directory exposes.
type directory struct {
	// renewalInfo is the ACME Renewal Information base URL (RFC 9773
	// §3); empty when the CA does not offer ARI.
	renewalInfo string
	profiles    map[string]string
}

// directories caches directories by URL; a CA's directory does not change
// while a process talks to it, and a fetch that failed is not kept.
type directories struct {
	mu    sync.Mutex
	byURL map[string]directory
}

// directory returns cl's CA's directory, fetched once.
func (c *Client) directory(ctx context.Context, cl *acme.Client) (directory, error) {
	url := cl.DirectoryURL
	if url == "" {
		url = acme.LetsEncryptURL
	}
	d := &c.dirs
	d.mu.Lock()
	dir, ok := d.byURL[url]
	d.mu.Unlock()
	if ok {
		return dir, nil
	}
	res, err := c.send(ctx, cl, http.MethodGet, url, nil)
	if err != nil {
		return directory{}, fmt.Errorf("acmepost: directory: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return directory{}, problem(res)
	}
	defer res.Body.Close()
	var w struct {
		RenewalInfo string `json:"renewalInfo"`
		Meta        struct {
			Profiles map[string]string `json:"profiles"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswer)).Decode(&w); err != nil {
		return directory{}, fmt.Errorf("acmepost: directory: %w", err)
	}
	dir = directory{renewalInfo: w.RenewalInfo, profiles: w.Meta.Profiles}
	d.mu.Lock()
	if d.byURL == nil || len(d.byURL) >= maxServers {
		d.byURL = map[string]directory{}
	}
	d.byURL[url] = dir
	d.mu.Unlock()
	return dir, nil
}
