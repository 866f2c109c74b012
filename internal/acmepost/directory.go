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
// while a process talks to it, and a fetch that failed is not kept. A URL
// is fetched by one caller at a time: the orders a Manager opens at once
// when it starts all need it, and each sending its own GET would be
// requests a minimal client does not send.
type directories struct {
	mu       sync.Mutex
	byURL    map[string]directory
	fetching map[string]*dirFetch
}

// dirFetch is a fetch of a directory under way; done is closed when it
// ended, with the directory stored or not.
type dirFetch struct{ done chan struct{} }

// directory returns cl's CA's directory, fetched once: a caller finding a
// fetch of it under way waits for that one, and fetches it itself if that
// one failed (its caller's context may have ended).
func (c *Client) directory(ctx context.Context, cl *acme.Client) (directory, error) {
	url := cl.DirectoryURL
	if url == "" {
		url = acme.LetsEncryptURL
	}
	d := &c.dirs
	for {
		d.mu.Lock()
		if dir, ok := d.byURL[url]; ok {
			d.mu.Unlock()
			return dir, nil
		}
		f := d.fetching[url]
		if f == nil {
			f = &dirFetch{done: make(chan struct{})}
			if d.fetching == nil {
				d.fetching = map[string]*dirFetch{}
			}
			d.fetching[url] = f
			d.mu.Unlock()
			return c.fetchDirectory(ctx, cl, url, f)
		}
		d.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return directory{}, fmt.Errorf("acmepost: directory: %w", ctx.Err())
		}
	}
}

// fetchDirectory GETs the directory at url for f, stores it if it was
// read, and ends f.
func (c *Client) fetchDirectory(ctx context.Context, cl *acme.Client, url string, f *dirFetch) (dir directory, err error) {
	d := &c.dirs
	defer func() {
		d.mu.Lock()
		if err == nil {
			if d.byURL == nil || len(d.byURL) >= maxServers {
				d.byURL = map[string]directory{}
			}
			d.byURL[url] = dir
		}
		delete(d.fetching, url)
		d.mu.Unlock()
		close(f.done)
	}()
	res, err := c.send(ctx, cl, http.MethodGet, url, nil)
	if err != nil {
		return directory{}, fmt.Errorf("acmepost: directory: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return directory{}, problem(res)
	}
	var w struct {
		RenewalInfo string `json:"renewalInfo"`
		Meta        struct {
			Profiles map[string]string `json:"profiles"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswer)).Decode(&w); err != nil {
		return directory{}, fmt.Errorf("acmepost: directory: %w", err)
	}
	return directory{renewalInfo: w.RenewalInfo, profiles: w.Meta.Profiles}, nil
}
