package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// FuzzDecodeAndValidate feeds arbitrary bytes to Decode, DecodeStrict and
// Validate and validates every Certificate they return: none of it may
// panic, every error must be one of the package's typed errors at a line of
// the input, and whatever decodes must encode and decode again.
func FuzzDecodeAndValidate(f *testing.F) {
	for _, dir := range []string{"testdata", filepath.Join("testdata", "invalid")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) ([]meta.Object, error){Decode, DecodeStrict, Validate} {
			objs, err := decode(data)
			if err != nil {
				var errs Errors
				if !errors.As(err, &errs) || len(errs) == 0 {
					t.Fatalf("error is not a non-empty manifest.Errors: %T %v", err, err)
				}
				for _, e := range errs {
					if e.Err == nil {
						t.Fatalf("DocumentError without sentinel: %v", e)
					}
					if e.Line < 0 || e.Line > bytes.Count(data, []byte("\n"))+1 {
						t.Fatalf("line %d is outside the input: %v", e.Line, e)
					}
				}
				_ = err.Error()
				continue
			}
			for _, o := range objs {
				if c, ok := o.(*certificate.Certificate); ok {
					if err := certificate.Validate(c); err != nil && !errors.Is(err, certificate.ErrInvalid) {
						t.Fatalf("Validate error does not match ErrInvalid: %v", err)
					}
					_ = c.Spec.KeyConfig()
					_ = c.Spec.HistoryLimit()
				}
			}
		}
		objs, err := Decode(data)
		if err != nil {
			return
		}
		y, err := EncodeAll(objs...)
		if err != nil {
			t.Fatalf("decoded objects do not encode: %v", err)
		}
		if _, err := Decode(y); err != nil {
			t.Fatalf("encoded objects do not decode: %v\n%s", err, y)
		}
	})
}
