package etcdtest

import (
	"io"
	"net"
	"sync"
	"time"
)

// proxy forwards the server's client port to etcd, so that Stop can cut
// every client connection at once (etcd itself waits up to 7 s for open
// watch streams before it stops) and Restart can bring etcd back on a new
// port behind the same address.
type proxy struct {
	l  net.Listener
	wg sync.WaitGroup

	mu      sync.Mutex
	backend string // etcd's client address; "" while etcd is stopped
	conns   map[net.Conn]struct{}
}

func newProxy() (*proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{l: l, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *proxy) addr() string { return p.l.Addr().String() }

// route sends new connections to backend; "" refuses them.
func (p *proxy) route(backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backend = backend
}

// cut closes every connection in flight.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

// close stops accepting, cuts every connection and waits for the
// forwarding goroutines.
func (p *proxy) close() {
	_ = p.l.Close()
	p.route("")
	p.cut()
	p.wg.Wait()
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track adds c to the connections to cut; false when c must not be used.
func (p *proxy) track(c net.Conn, backend string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.backend == "" || p.backend != backend {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *proxy) forward(client net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	p.mu.Lock()
	backend := p.backend
	p.mu.Unlock()
	if backend == "" {
		return // etcd is stopped: the client sees its connection closed
	}
	server, err := net.DialTimeout("tcp", backend, 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	// Tracked only if etcd did not stop meanwhile, so a cut misses none.
	if !p.track(client, backend) {
		return
	}
	defer p.untrack(client)
	if !p.track(server, backend) {
		return
	}
	defer p.untrack(server)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(server, client)
		_ = server.Close()
	}()
	_, _ = io.Copy(client, server)
	_ = client.Close()
	<-done
}
