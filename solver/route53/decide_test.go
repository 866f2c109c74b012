package route53

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/stretchr/testify/assert"
)

func TestQuoteTXT(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct{ in, want string }{
		{"abc", `"abc"`},
		{"", `""`},
		{`say "hi" \o/`, `"say \"hi\" \\o/"`},
		{long, `"` + long[:255] + `" "` + long[255:] + `"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, quoteTXT(tt.in))
		assert.Equal(t, tt.in, unquoteTXT(quoteTXT(tt.in)), "round trip")
	}
}

func TestUnquoteTXT(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"abc"`, "abc"},
		{`"ab" "c"`, "abc"},
		{`  "abc"  `, "abc"},
		{`"a\"b"`, `a"b`},
		{`"\065\066"`, "AB"},
		{`unquoted`, "unquoted"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, unquoteTXT(tt.in), tt.in)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM", "example.com."},
		{"example.com.", "example.com."},
		{`\052.example.com.`, "*.example.com."},
		{`a\.b`, `a\.b.`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, canonical(tt.in), tt.in)
	}
}

func set(ttl int64, values ...string) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{Name: aws.String("_acme-challenge.example.com."), Type: types.RRTypeTxt, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func describe(c *types.Change) string {
	if c == nil {
		return "none"
	}
	var vs []string
	for _, rr := range c.ResourceRecordSet.ResourceRecords {
		vs = append(vs, aws.ToString(rr.Value))
	}
	return string(c.Action) + " " + aws.ToString(c.ResourceRecordSet.Name) + " " +
		strings.Join(vs, ",") + " ttl=" + strconv.FormatInt(aws.ToInt64(c.ResourceRecordSet.TTL), 10)
}

func TestPresentChange(t *testing.T) {
	const name = "_acme-challenge.example.com."
	tests := []struct {
		name string
		cur  *types.ResourceRecordSet
		want string
	}{
		{"no set", nil, `UPSERT ` + name + ` "v" ttl=60`},
		{"other value kept", set(300, `"other"`), `UPSERT ` + name + ` "other","v" ttl=60`},
		{"already there", set(60, `"other"`, `"v"`), "none"},
		{"already there split", set(60, `"" "v"`), "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, describe(presentChange(name, "v", tt.cur)))
		})
	}
}

func TestCleanUpChange(t *testing.T) {
	const name = "_acme-challenge.example.com."
	tests := []struct {
		name string
		cur  *types.ResourceRecordSet
		want string
	}{
		{"no set", nil, "none"},
		{"value absent", set(60, `"other"`), "none"},
		{"only value: delete exact set", set(300, `"v"`), `DELETE ` + name + ` "v" ttl=300`},
		{"remainder upserted", set(300, `"other"`, `"v"`), `UPSERT ` + name + ` "other" ttl=60`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, describe(cleanUpChange(name, "v", tt.cur)))
		})
	}
}
