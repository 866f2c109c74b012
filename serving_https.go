package certflow

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ListenAndServeTLS serves handler over HTTPS on addr (":443") with the
// Manager's certificates (TLSConfig) until ctx ends, then shuts the server
// down, giving requests in flight 5 seconds, and returns nil; it returns
// any other error of the server at once.
//
// Its http.Server allows a TLS handshake, and the request headers after
// it, 10 seconds, or HandshakeTimeout plus 10 seconds with on-demand
// issuance (a handshake may wait for an issuance, and an http.Server
// otherwise ends it at ReadHeaderTimeout); idle connections close after 2
// minutes. The server's own error lines (failed handshakes: unknown or
// denied names) go to Config.Logger at debug level.
func (m *Manager) ListenAndServeTLS(ctx context.Context, addr string, handler http.Handler) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return m.ServeTLS(ctx, l, handler)
}

// ServeTLS is ListenAndServeTLS on a listener of the caller's; it closes l.
func (m *Manager) ServeTLS(ctx context.Context, l net.Listener, handler http.Handler) error {
	wait := 10 * time.Second
	if m.onDemand != nil {
		wait += m.onDemand.cfg.HandshakeTimeout
	}
	srv := &http.Server{Handler: handler, TLSConfig: m.TLSConfig(), ReadHeaderTimeout: wait,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(m.cfg.Logger.Handler(), slog.LevelDebug)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tls.NewListener(l, srv.TLSConfig)) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
