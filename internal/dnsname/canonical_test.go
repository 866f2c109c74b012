package dnsname

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "Example.COM", want: "example.com."},
		{in: "example.com.", want: "example.com."},
		{in: "_acme-challenge.Example.com", want: "_acme-challenge.example.com."},
		{in: "*.example.com", want: "*.example.com."},
		{in: "bücher.example", want: "xn--bcher-kva.example."},
		{in: "BÜCHER.example", want: "xn--bcher-kva.example."},
		{in: "xn--bcher-kva.example", want: "xn--bcher-kva.example."},
		{in: "例え.テスト", want: "xn--r8jz45g.xn--zckzah."},
		{in: long63 + ".com", want: long63 + ".com."},
		{in: "", wantErr: true},
		{in: ".", wantErr: true},
		{in: "a..b", wantErr: true},
		{in: ".a", wantErr: true},
		{in: "a.*.b", wantErr: true},
		{in: "**.b", wantErr: true},
		{in: "a b.com", wantErr: true},
		{in: "-a.com", wantErr: true},
		{in: "a-.com", wantErr: true},
		{in: long63 + "a.com", wantErr: true},
		{in: strings.Repeat("a.", 127) + "aa", wantErr: true}, // 255 octets
		{in: "a\x00b.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidName)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNormalize_LengthLimitIs253Octets(t *testing.T) {
	name253 := strings.Repeat("a.", 126) + "a" // 253 octets
	got, err := Normalize(name253)
	require.NoError(t, err)
	assert.Equal(t, name253+".", got)
	_, err = Normalize(name253 + "a")
	require.ErrorIs(t, err, ErrInvalidName)
}

func TestParseIdentifier(t *testing.T) {
	tests := []struct {
		in      string
		want    Identifier
		str     string
		wantErr bool
	}{
		{in: "*.Example.com.", want: Identifier{Name: "example.com", Wildcard: true}, str: "*.example.com"},
		{in: "example.com", want: Identifier{Name: "example.com"}, str: "example.com"},
		{in: "bücher.example", want: Identifier{Name: "xn--bcher-kva.example"}, str: "xn--bcher-kva.example"},
		{in: "*", wantErr: true},
		{in: "*.", wantErr: true},
		{in: "a.*.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseIdentifier(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidName)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.str, got.String())
			assert.Equal(t, "_acme-challenge."+tt.want.Name+".", got.ChallengeName())
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "*.Example.COM.", "bücher.example", "a..b", "_acme-challenge.x", "xn--bcher-kva.example", "\u3002", "a\uff0eb", "ß.de", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		slow, slowErr := normalizeLabels(in, strings.TrimSuffix(in, "."))
		if (err == nil) != (slowErr == nil) || out != slow {
			t.Fatalf("Normalize(%q) = %q, %v; by labels %q, %v", in, out, err, slow, slowErr)
		}
		if err != nil {
			return
		}
		again, err := Normalize(out)
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, which does not normalise: %v", in, out, err)
		}
		if again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if len(out) > MaxNameLen+1 || !strings.HasSuffix(out, ".") || out != strings.ToLower(out) {
			t.Fatalf("bad output %q for %q", out, in)
		}
		if id, err := ParseIdentifier(in); err == nil {
			id2, err := ParseIdentifier(id.String())
			if err != nil || id2 != id {
				t.Fatalf("ParseIdentifier not idempotent: %q -> %+v -> %+v (%v)", in, id, id2, err)
			}
		}
	})
}

// TestCanonicalShortcutAgreesWithLabels: for every name the one-pass check
// accepts, Normalize by labels gives the same name back, and every name
// Normalize by labels returns is accepted by it (so the shortcut is taken
// for all stored names and never changes an answer).
func TestCanonicalShortcutAgreesWithLabels(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	for _, in := range []string{
		"example.com", "example.com.", "a", "*.a.b", "_acme-challenge.x.y", "xn--bcher-kva.example",
		long63 + ".com", strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 126) + "aa",
		"", ".", "*", "*.", "**.b", "a.*.b", "a..b", ".a", "a-.b", "-a.b", "Example.com", "a b", "a\x00b",
		long63 + "a.com", "bücher.example", "a.b..", "*.-a",
	} {
		n := strings.TrimSuffix(in, ".")
		slow, err := normalizeLabels(in, n)
		if isCanonical(n) {
			require.NoError(t, err, in)
			assert.Equal(t, n+".", slow, in)
		} else if err == nil {
			assert.NotEqual(t, n+".", slow, "%q is canonical but the shortcut refused it", in)
		}
	}
}

func TestCanonicalOfACanonicalNameDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Canonical("_acme-challenge.c0-1.bench.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := Normalize("*.example.com."); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}
