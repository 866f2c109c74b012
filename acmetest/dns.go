package acmetest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// dnsServer is the in-process DNS server the validation authority resolves
// through: A → 127.0.0.1 for every name, AAAA → ::1 only if asked to
// (otherwise an empty NOERROR answer), TXT → whatever the records hold.
// It listens on one port of 127.0.0.1 over UDP and TCP (Pebble's VA uses TCP).
type dnsServer struct {
	addr       string
	answerAAAA bool
	udp, tcp   *dns.Server
	done       chan struct{} // closed when both serve loops have returned

	mu  sync.RWMutex
	txt map[string][]string // canonical name → values, in insertion order
}

// canonicalName lowercases name and makes it fully qualified.
func canonicalName(name string) string {
	return strings.ToLower(dns.Fqdn(name))
}

// startDNS starts the server on a free port of 127.0.0.1, UDP and TCP both.
func startDNS(ctx context.Context, answerAAAA bool) (*dnsServer, error) {
	tcpLn, udpConn, err := listenDNS()
	if err != nil {
		return nil, fmt.Errorf("acmetest: start dns: %w", err)
	}
	s := &dnsServer{
		addr:       tcpLn.Addr().String(),
		answerAAAA: answerAAAA,
		txt:        map[string][]string{},
		done:       make(chan struct{}),
	}
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	s.tcp = &dns.Server{Listener: tcpLn, Handler: s, NotifyStartedFunc: notify}
	s.udp = &dns.Server{PacketConn: udpConn, Handler: s, NotifyStartedFunc: notify}
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, srv := range []*dns.Server{s.tcp, s.udp} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- srv.ActivateAndServe()
		}()
	}
	go func() {
		wg.Wait()
		close(s.done)
	}()
	for range 2 {
		select {
		case <-started:
		case err := <-errs:
			s.close(ctx)
			return nil, fmt.Errorf("acmetest: start dns: %w", err)
		case <-ctx.Done():
			s.close(ctx)
			return nil, fmt.Errorf("acmetest: start dns: %w", ctx.Err())
		}
	}
	return s, nil
}

// listenDNS finds a port free for both TCP and UDP on 127.0.0.1.
func listenDNS() (net.Listener, net.PacketConn, error) {
	var lastErr error
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			return ln, pc, nil
		}
		lastErr = err
		_ = ln.Close()
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", lastErr)
}

// close stops both servers and waits until their goroutines have returned.
func (s *dnsServer) close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, srv := range []*dns.Server{s.tcp, s.udp} {
		if err := srv.ShutdownContext(ctx); err != nil {
			// Not started (startup failed): closing the socket ends the loop.
			if srv.Listener != nil {
				_ = srv.Listener.Close()
			}
			if srv.PacketConn != nil {
				_ = srv.PacketConn.Close()
			}
		}
	}
	select {
	case <-s.done:
	case <-ctx.Done():
	}
}

// ServeDNS answers one query.
func (s *dnsServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	for _, q := range req.Question {
		m.Answer = append(m.Answer, s.answer(q)...)
	}
	_ = w.WriteMsg(m)
}

func (s *dnsServer) answer(q dns.Question) []dns.RR {
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Rrtype: q.Qtype, Ttl: 0}
	switch q.Qtype {
	case dns.TypeA:
		return []dns.RR{&dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)}}
	case dns.TypeAAAA:
		if s.answerAAAA {
			return []dns.RR{&dns.AAAA{Hdr: hdr, AAAA: net.IPv6loopback}}
		}
	case dns.TypeTXT:
		var rrs []dns.RR
		for _, v := range s.lookupTXT(q.Name) {
			rrs = append(rrs, &dns.TXT{Hdr: hdr, Txt: splitTXT(v)})
		}
		return rrs
	}
	return nil
}

// splitTXT splits v into RFC 1035 character-strings of at most 255 octets.
func splitTXT(v string) []string {
	parts := []string{}
	for len(v) > 255 {
		parts = append(parts, v[:255])
		v = v[255:]
	}
	return append(parts, v)
}

func (s *dnsServer) lookupTXT(name string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.txt[canonicalName(name)])
}

func (s *dnsServer) setTXT(name string, values []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonicalName(name)
	if len(values) == 0 {
		delete(s.txt, name)
		return
	}
	var uniq []string
	for _, v := range values {
		if !slices.Contains(uniq, v) {
			uniq = append(uniq, v)
		}
	}
	s.txt[name] = uniq
}

func (s *dnsServer) addTXT(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonicalName(name)
	if !slices.Contains(s.txt[name], value) {
		s.txt[name] = append(s.txt[name], value)
	}
}

func (s *dnsServer) removeTXT(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = canonicalName(name)
	vals := slices.DeleteFunc(slices.Clone(s.txt[name]), func(v string) bool { return v == value })
	if len(vals) == 0 {
		delete(s.txt, name)
		return
	}
	s.txt[name] = vals
}
