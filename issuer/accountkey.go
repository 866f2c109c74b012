package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// DefaultEABKeySecretKey is the Secret key read for the EAB MAC key when
// externalAccountBinding.keySecretRef.key is empty.
const DefaultEABKeySecretKey = "secret"

// accountKeyRef names the Secret holding a's account key in namespace ns,
// and the data key it is stored under.
func accountKeyRef(ns string, a *ACMEIssuer) (meta.Ref, string) {
	dataKey := a.PrivateKeySecretRef.Key
	if dataKey == "" {
		dataKey = secret.TLSKeyKey
	}
	return meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: a.PrivateKeySecretRef.Name}, dataKey
}

// loadAccountKey reads the ACME account key from a.PrivateKeySecretRef in
// namespace ns. problem says, for the Ready condition, why no key is usable;
// err is a Store failure. Neither ever contains key bytes.
func loadAccountKey(ctx context.Context, st store.Reader, ns string, a *ACMEIssuer) (key crypto.Signer, problem string, err error) {
	ref, _ := accountKeyRef(ns, a)
	var sec secret.Secret
	err = st.Get(ctx, ref, &sec)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, missingAccountKey(ref), nil
	case err != nil:
		return nil, "", fmt.Errorf("read account key %s: %w", ref, err)
	}
	key, problem = parseAccountKey(&sec, a)
	return key, problem, nil
}

func missingAccountKey(ref meta.Ref) string {
	return fmt.Sprintf("ACME account key Secret %q not found in namespace %q and key generation is disabled", ref.Name, ref.Namespace)
}

// parseAccountKey reads the account key out of sec, or says why it is
// unusable (never with key bytes).
func parseAccountKey(sec *secret.Secret, a *ACMEIssuer) (crypto.Signer, string) {
	_, dataKey := accountKeyRef(sec.ObjectMeta.Namespace, a)
	key, err := pki.ParsePrivateKey(sec.Data[dataKey])
	if err != nil {
		return nil, fmt.Sprintf("ACME account key in Secret %q key %q is invalid: %v", sec.ObjectMeta.Name, dataKey, err)
	}
	switch key.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		return key, ""
	}
	return nil, fmt.Sprintf("ACME account key in Secret %q is %T; ACME needs ECDSA or RSA", sec.ObjectMeta.Name, key)
}

// accountKeySecret is the Secret to create for a's account key in ns; its
// key is filled in by fillAccountKey, outside the decision.
func accountKeySecret(ns string, a *ACMEIssuer) *secret.Secret {
	ref, dataKey := accountKeyRef(ns, a)
	return &secret.Secret{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name},
		Type:       secret.TypeOpaque,
		Data:       map[string][]byte{dataKey: nil},
	}
}

// fillAccountKey generates the key of sec, made by accountKeySecret:
// ECDSA P-256, or RSA 2048 for AccountKeyAlgorithm RSA. It returns the key.
func fillAccountKey(sec *secret.Secret, a *ACMEIssuer) (crypto.Signer, error) {
	var (
		key crypto.Signer
		err error
	)
	if a.AccountKeyAlgorithm == AccountKeyRSA {
		key, err = pki.GenerateKey(pki.AlgRSA, 2048)
	} else {
		key, err = pki.GenerateKey(pki.AlgECDSA, 256)
	}
	if err != nil {
		return nil, fmt.Errorf("generate account key: %w", err)
	}
	pemKey, err := pki.EncodePrivateKey(key, false)
	if err != nil {
		return nil, fmt.Errorf("encode account key: %w", err)
	}
	_, dataKey := accountKeyRef(sec.ObjectMeta.Namespace, a)
	sec.Data = map[string][]byte{dataKey: pemKey}
	return key, nil
}

// accountKeyHash identifies an account key by its public half, so the hash
// stored in status reveals nothing about the private key.
func accountKeyHash(key crypto.Signer) string {
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// eabKey reads the EAB MAC key (base64url, padded or not) from ref in ns.
// problem and err follow loadAccountKey's contract.
func eabKey(ctx context.Context, st store.Reader, ns string, ref solver.SecretKeySelector) (key []byte, problem string, err error) {
	dataKey := ref.Key
	if dataKey == "" {
		dataKey = DefaultEABKeySecretKey
	}
	var sec secret.Secret
	err = st.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: ref.Name}, &sec)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Sprintf("EAB key Secret %q not found in namespace %q", ref.Name, ns), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read EAB key Secret %s/%s: %w", ns, ref.Name, err)
	}
	raw := strings.TrimRight(strings.TrimSpace(string(sec.Data[dataKey])), "=")
	if raw == "" {
		return nil, fmt.Sprintf("EAB key Secret %q has no key %q", ref.Name, dataKey), nil
	}
	key, err = base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		// The decode error names an offset only, never the key.
		return nil, fmt.Sprintf("EAB key in Secret %q key %q is not base64url", ref.Name, dataKey), nil
	}
	return key, "", nil
}
