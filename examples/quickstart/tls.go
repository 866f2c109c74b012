package main

import (
	"crypto/tls"

	"github.com/certflow/certflow/acmetest"
)

func newClientTLS(ca *acmetest.Server) *tls.Config {
	return &tls.Config{RootCAs: ca.Roots(), MinVersion: tls.VersionTLS12}
}
