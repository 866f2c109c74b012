package certflow

import (
	"fmt"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// newObject returns an empty object of kind k.
func newObject(k meta.Kind) (meta.Object, error) {
	switch k {
	case meta.KindIssuer:
		return &issuer.Issuer{}, nil
	case meta.KindClusterIssuer:
		return &issuer.ClusterIssuer{}, nil
	case meta.KindCertificate:
		return &certificate.Certificate{}, nil
	case meta.KindCertificateRequest:
		return &request.CertificateRequest{}, nil
	case meta.KindOrder:
		return &order.Order{}, nil
	case meta.KindChallenge:
		return &challenge.Challenge{}, nil
	case meta.KindSecret:
		return &secret.Secret{}, nil
	case meta.KindEvent:
		return &meta.Event{}, nil
	}
	return nil, fmt.Errorf("certflow: unknown kind %q", k)
}
