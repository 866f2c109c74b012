package order_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

func TestName(t *testing.T) {
	base := order.Spec{Request: []byte("csr"), IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"a.example.com"}}
	changed := base
	changed.DNSNames = []string{"b.example.com"}

	n := order.Name("req-1", "uid-1", base)
	assert.Regexp(t, regexp.MustCompile(`^req-1-[0-9a-f]{10}$`), n)
	assert.Equal(t, n, order.Name("req-1", "uid-1", base), "deterministic")
	assert.NotEqual(t, n, order.Name("req-1", "uid-1", changed), "a changed spec gets a new name")
	assert.NotEqual(t, n, order.Name("req-2", "uid-1", base))
	assert.NotEqual(t, n, order.Name("req-1", "uid-2", base), "a re-created request gets a new order")
}
