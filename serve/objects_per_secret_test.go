package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/canon"
	"github.com/certflow/certflow/secret"
)

// The collector marks every live heap object at each cycle, and the
// runtime forces one every 2 minutes however idle the process, so at
// 100,000 certificates the objects the Cache keeps for each, not their
// bytes, are what an idle Manager pays for it (docs/idle.md). A Secret
// Apply loads as the Manager's serving does (a leaf and its CA, one name,
// the leaf's DER already held by the memory store) cost 7 heap objects:
// the entry, its tls.Certificate, its lazy key, the chain's and the keys'
// arrays, the key's DER and the name; 3 with the first five in one
// allocation (loadedCert).
func TestApply_ObjectsPerSecret(t *testing.T) {
	const n = 400
	list, leaves := chainSecrets(t, n)
	// As the memory store holds them, so the Cache serves its copies
	// (sharedLeaf) and unique's map adds nothing.
	var held []canon.Handle
	for _, der := range leaves {
		held = append(held, canon.Make(string(der)))
	}
	canon.Retain(held)
	defer canon.Release(held)
	c := NewCache(Options{})
	require.NoError(t, c.Apply(list[:1], nil)) // the table's first allocations
	liveObjects()                              // what the fill left for a cleanup to free
	before := liveObjects()
	require.NoError(t, c.Apply(list, nil))
	perSecret := float64(int64(liveObjects())-int64(before)) / n
	runtime.KeepAlive(c)
	runtime.KeepAlive(list) // the Secrets are the caller's, not counted
	t.Logf("%.2f heap objects a Secret", perSecret)
	// A Cache that kept nothing would cost nothing.
	require.Equal(t, n, c.certs.secrets.len(), "Secrets loaded")
	_, err := c.GetCertificate(hello("site-000399.example.com"))
	require.NoError(t, err)
	assert.Less(t, perSecret, 4.0, "heap objects the Cache keeps a Secret loaded by Apply")
}

// chainSecrets returns n Secrets as the certificate reconciler stores
// them, tls.crt a leaf for one name and its CA, and the leaves' DER.
func chainSecrets(t *testing.T, n int) ([]*secret.Secret, [][]byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	list, leaves := make([]*secret.Secret, n), make([][]byte, n)
	for i := range list {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i) + 2), NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(12 * time.Hour), DNSNames: []string{fmt.Sprintf("site-%06d.example.com", i)}}
		leaves[i], err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, key)
		require.NoError(t, err)
		crt := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaves[i]}), caPEM...)
		list[i] = tlsSecret("ns", fmt.Sprint("site-", i), crt, keyPEM)
		list[i].ObjectMeta.ResourceVersion = strconv.Itoa(i + 1)
	}
	return list, leaves
}

// liveObjects is how many objects the heap holds once what is dead is
// swept.
func liveObjects() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapObjects
}
