package solver

import (
	"context"
	"encoding/json"
)

// Config is one entry of an ACME issuer's `solvers` list, as cert-manager
// spells it. Exactly one of HTTP01, DNS01 and TLSALPN01 is set.
type Config struct {
	// Selector restricts which identifiers this solver is used for. If nil,
	// the solver is a fallback for every identifier.
	Selector *Selector     `json:"selector,omitempty"`
	HTTP01   *HTTP01Config `json:"http01,omitempty"`
	DNS01    *DNS01Config  `json:"dns01,omitempty"`
	// TLSALPN01 is a certflow extension (cert-manager lacks TLS-ALPN-01).
	TLSALPN01 *TLSALPN01Config `json:"tlsALPN01,omitempty"`
}

// Type returns the challenge type this config solves, or "" if none is set.
func (c Config) Type() Type {
	switch {
	case c.HTTP01 != nil:
		return HTTP01
	case c.DNS01 != nil:
		return DNS01
	case c.TLSALPN01 != nil:
		return TLSALPN01
	}
	return ""
}

// Selector is cert-manager's CertificateDNSNameSelector.
type Selector struct {
	DNSNames    []string          `json:"dnsNames,omitempty"`
	DNSZones    []string          `json:"dnsZones,omitempty"`
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// HTTP01Config selects the built-in HTTP-01 solver, which publishes tokens
// through the Store for Manager.HTTPHandler. cert-manager's ingress and
// gatewayHTTPRoute settings are accepted and ignored.
type HTTP01Config struct {
	Ingress          json.RawMessage `json:"ingress,omitempty"`
	GatewayHTTPRoute json.RawMessage `json:"gatewayHTTPRoute,omitempty"`
}

// TLSALPN01Config selects the built-in TLS-ALPN-01 solver served by
// Manager.GetCertificate.
type TLSALPN01Config struct{}

// DNS01Config is cert-manager's ACMEChallengeSolverDNS01. Exactly one provider is set.
type DNS01Config struct {
	// CNAMEStrategy "Follow" writes the record at the target of a CNAME on
	// _acme-challenge; "None" (the default) writes it in place.
	CNAMEStrategy string         `json:"cnameStrategy,omitempty"`
	RFC2136       *RFC2136Config `json:"rfc2136,omitempty"`
	Route53       *Route53Config `json:"route53,omitempty"`
	Webhook       *WebhookConfig `json:"webhook,omitempty"`
}

// Provider names the configured provider: "rfc2136", "route53", the
// webhook's solverName, or "" when none is set.
func (c DNS01Config) Provider() string {
	switch {
	case c.RFC2136 != nil:
		return "rfc2136"
	case c.Route53 != nil:
		return "route53"
	case c.Webhook != nil:
		return c.Webhook.SolverName
	}
	return ""
}

// SecretKeySelector names one key of a Secret in the issuer's namespace
// (for a ClusterIssuer, the Manager's cluster resource namespace).
type SecretKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key,omitempty"`
}

// RFC2136Config is cert-manager's ACMEIssuerDNS01ProviderRFC2136.
type RFC2136Config struct {
	// Nameserver is host:port (port 53 if omitted) of the primary to update.
	Nameserver string `json:"nameserver"`
	// TSIGKeyName is the key's name; canonicalised (lower case, trailing dot).
	TSIGKeyName string `json:"tsigKeyName,omitempty"`
	// TSIGAlgorithm is HMACSHA256 when empty; HMACSHA1/512 allowed (any case, as in cert-manager), HMACMD5 refused.
	TSIGAlgorithm       string            `json:"tsigAlgorithm,omitempty"`
	TSIGSecretSecretRef SecretKeySelector `json:"tsigSecretSecretRef,omitempty"`
	// Protocol is "udp" (default) or "tcp".
	Protocol string `json:"protocol,omitempty"`
	// Zone is a certflow extension: the zone to update. If empty, it is found
	// by walking SOA records up from the record name.
	Zone string `json:"zone,omitempty"`
}

// Route53Config is cert-manager's ACMEIssuerDNS01ProviderRoute53.
type Route53Config struct {
	Region string `json:"region,omitempty"`
	// HostedZoneID, if empty, is found with ListHostedZonesByName.
	HostedZoneID             string             `json:"hostedZoneID,omitempty"`
	AccessKeyID              string             `json:"accessKeyID,omitempty"`
	AccessKeyIDSecretRef     *SecretKeySelector `json:"accessKeyIDSecretRef,omitempty"`
	SecretAccessKeySecretRef *SecretKeySelector `json:"secretAccessKeySecretRef,omitempty"`
	Role                     string             `json:"role,omitempty"`
}

// WebhookConfig is cert-manager's webhook provider; certflow resolves
// SolverName to a DNS01Provider registered with the Manager (for instance a
// libdns provider wrapped by solver/libdnssolver).
type WebhookConfig struct {
	GroupName  string          `json:"groupName,omitempty"`
	SolverName string          `json:"solverName"`
	Config     json.RawMessage `json:"config,omitempty"`
}

// Secrets reads one key of a Secret; solvers use it for TSIG secrets and
// cloud credentials. Errors never contain the secret's value.
type Secrets interface {
	SecretValue(ctx context.Context, namespace string, ref SecretKeySelector) ([]byte, error)
}

// DNS01Provider builds a DNS-01 Solver from an issuer's configuration.
// Providers are registered with the Manager under the name that
// DNS01Config.Provider returns.
type DNS01Provider interface {
	NewSolver(ctx context.Context, cfg DNS01Config, namespace string, secrets Secrets) (Solver, error)
}
