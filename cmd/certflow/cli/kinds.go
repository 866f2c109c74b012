package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// resource is what the command knows of a kind: the names people type for
// it and the columns `get` prints, as cert-manager's CRDs declare them
// (additionalPrinterColumns in deploy/crds/*.yaml, v1.21.1).
type resource struct {
	kind   meta.Kind
	plural string
	// names are the other spellings accepted: singular, short names.
	names []string
	// group is the API group, "" for the core group (Secret).
	group   string
	new     func() meta.Object
	columns []column
}

// qualified is the kind's name as kubectl prints it in messages and with
// -o name: certificate.cert-manager.io, secret.
func (r *resource) qualified(plural bool) string {
	n := strings.ToLower(string(r.kind))
	if plural {
		n = r.plural
	}
	if r.group == "" {
		return n
	}
	return n + "." + r.group
}

var resources = []*resource{
	{kind: meta.KindCertificate, plural: "certificates", names: []string{"certificate", "cert", "certs"}, group: "cert-manager.io",
		new: func() meta.Object { return &certificate.Certificate{} },
		columns: []column{
			{name: "READY", value: condition(meta.ConditionReady, "status")},
			{name: "SECRET", value: field("spec", "secretName")},
			{name: "ISSUER", value: field("spec", "issuerRef", "name")},
			{name: "EXPIRES", value: timestamp("status", "notAfter")},
			{name: "RENEWAL", value: timestamp("status", "renewalTime"), wide: true},
			{name: "STATUS", value: condition(meta.ConditionReady, "message"), wide: true},
			ageColumn,
		}},
	{kind: meta.KindIssuer, plural: "issuers", names: []string{"issuer", "iss"}, group: "cert-manager.io",
		new: func() meta.Object { return &issuer.Issuer{} },
		columns: []column{
			{name: "READY", value: condition(meta.ConditionReady, "status")},
			{name: "STATUS", value: condition(meta.ConditionReady, "message"), wide: true},
			ageColumn,
		}},
	{kind: meta.KindClusterIssuer, plural: "clusterissuers", names: []string{"clusterissuer", "ciss"}, group: "cert-manager.io",
		new: func() meta.Object { return &issuer.ClusterIssuer{} },
		columns: []column{
			{name: "READY", value: condition(meta.ConditionReady, "status")},
			{name: "STATUS", value: condition(meta.ConditionReady, "message"), wide: true},
			ageColumn,
		}},
	{kind: meta.KindCertificateRequest, plural: "certificaterequests", names: []string{"certificaterequest", "cr", "crs"}, group: "cert-manager.io",
		new: func() meta.Object { return &request.CertificateRequest{} },
		columns: []column{
			{name: "APPROVED", value: condition(meta.ConditionApproved, "status")},
			{name: "DENIED", value: condition(meta.ConditionDenied, "status")},
			{name: "READY", value: condition(meta.ConditionReady, "status")},
			{name: "ISSUER", value: field("spec", "issuerRef", "name")},
			{name: "REQUESTER", value: field("spec", "username")},
			{name: "STATUS", value: condition(meta.ConditionReady, "message"), wide: true},
			ageColumn,
		}},
	{kind: meta.KindOrder, plural: "orders", names: []string{"order"}, group: "acme.cert-manager.io",
		new: func() meta.Object { return &order.Order{} },
		columns: []column{
			{name: "STATE", value: field("status", "state")},
			{name: "ISSUER", value: field("spec", "issuerRef", "name"), wide: true},
			{name: "REASON", value: field("status", "reason"), wide: true},
			ageColumn,
		}},
	{kind: meta.KindChallenge, plural: "challenges", names: []string{"challenge"}, group: "acme.cert-manager.io",
		new: func() meta.Object { return &challenge.Challenge{} },
		columns: []column{
			{name: "STATE", value: field("status", "state")},
			{name: "DOMAIN", value: field("spec", "dnsName")},
			{name: "REASON", value: field("status", "reason"), wide: true},
			ageColumn,
		}},
	{kind: meta.KindSecret, plural: "secrets", names: []string{"secret"}, group: "",
		new: func() meta.Object { return &secret.Secret{} },
		columns: []column{
			{name: "TYPE", value: field("type")},
			{name: "DATA", value: count("data")},
			ageColumn,
		}},
}

// lookupKind finds the resource a person named, in any spelling kubectl
// accepts: plural, singular, short name, Kind, or qualified by its group.
func lookupKind(name string) (*resource, error) {
	n := strings.ToLower(name)
	for _, r := range resources {
		for _, s := range append([]string{r.plural, strings.ToLower(string(r.kind))}, r.names...) {
			if n == s || (r.group != "" && n == s+"."+r.group) {
				return r, nil
			}
		}
	}
	return nil, usagef("unknown kind %q; certflow knows %s", name, strings.Join(kindNames(), ", "))
}

func resourceOf(k meta.Kind) *resource {
	for _, r := range resources {
		if r.kind == k {
			return r
		}
	}
	return nil
}

// kindNames are the plural names, for messages and completion.
func kindNames() []string {
	out := make([]string, len(resources))
	for i, r := range resources {
		out[i] = r.plural
	}
	sort.Strings(out)
	return out
}

// refName renders ref as kubectl's messages do: certificates.cert-manager.io "www".
func refName(ref meta.Ref) string {
	r := resourceOf(ref.Kind)
	if r == nil {
		return fmt.Sprintf("%s %q", ref.Kind, ref.Name)
	}
	return fmt.Sprintf("%s %q", r.qualified(true), ref.Name)
}
