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

// loadAccountKey reads the ACME account key from a.PrivateKeySecretRef in
// namespace ns. When the Secret is missing and create is set, it generates a
// key (ECDSA P-256, or RSA 2048 for AccountKeyAlgorithm RSA) and creates the
// Secret. problem says, for the Ready condition, why no key is usable; err is
// a Store failure. Neither ever contains key bytes.
func loadAccountKey(ctx context.Context, st store.Store, ns string, a *ACMEIssuer, create bool) (key crypto.Signer, problem string, err error) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: ns, Name: a.PrivateKeySecretRef.Name}
	dataKey := a.PrivateKeySecretRef.Key
	if dataKey == "" {
		dataKey = secret.TLSKeyKey
	}
	var sec secret.Secret
	err = st.Get(ctx, ref, &sec)
	switch {
	case errors.Is(err, store.ErrNotFound) && !create:
		return nil, fmt.Sprintf("ACME account key Secret %q not found in namespace %q and key generation is disabled", ref.Name, ns), nil
	case errors.Is(err, store.ErrNotFound):
		return createAccountKey(ctx, st, ref, dataKey, a.AccountKeyAlgorithm)
	case err != nil:
		return nil, "", fmt.Errorf("read account key %s: %w", ref, err)
	}
	key, err = pki.ParsePrivateKey(sec.Data[dataKey])
	if err != nil {
		return nil, fmt.Sprintf("ACME account key in Secret %q key %q is invalid: %v", ref.Name, dataKey, err), nil
	}
	switch key.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		return key, "", nil
	}
	return nil, fmt.Sprintf("ACME account key in Secret %q is %T; ACME needs ECDSA or RSA", ref.Name, key), nil
}

func createAccountKey(ctx context.Context, st store.Store, ref meta.Ref, dataKey, alg string) (crypto.Signer, string, error) {
	var (
		key crypto.Signer
		err error
	)
	if alg == AccountKeyRSA {
		key, err = pki.GenerateKey(pki.AlgRSA, 2048)
	} else {
		key, err = pki.GenerateKey(pki.AlgECDSA, 256)
	}
	if err != nil {
		return nil, "", fmt.Errorf("generate account key: %w", err)
	}
	pemKey, err := pki.EncodePrivateKey(key, false)
	if err != nil {
		return nil, "", fmt.Errorf("encode account key: %w", err)
	}
	sec := &secret.Secret{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name},
		Type:       secret.TypeOpaque,
		Data:       map[string][]byte{dataKey: pemKey},
	}
	// A concurrent creator wins with ErrAlreadyExists; the retry reads its key.
	if err := st.Create(ctx, sec); err != nil {
		return nil, "", fmt.Errorf("create account key %s: %w", ref, err)
	}
	return key, "", nil
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
