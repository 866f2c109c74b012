package manifest

import (
	"errors"
	"fmt"
)

// DefaultMaxBytes is how large an input Decode, DecodeStrict and
// DecodeReader accept unless MaxBytes says otherwise: 4 MiB.
//
// Decoding holds about ten times the input in memory at once and allocates
// about a hundred times it in total, so the limit is what bounds a decode
// of untrusted input. 4 MiB is above kube-apiserver's 3 MiB limit on one
// request body (kubectl sends one object per request) and holds some
// twenty thousand Certificates or several hundred Secrets with chains.
const DefaultMaxBytes = 4 << 20

// ErrTooLarge is matched (errors.Is) by every *TooLargeError.
var ErrTooLarge = errors.New("manifest: input too large")

// TooLargeError reports input longer than the limit; nothing of it was
// parsed.
type TooLargeError struct {
	// Limit is the largest input accepted, in bytes.
	Limit int64
	// Size is the input's length when it is known (Decode and
	// DecodeStrict), or 0 when reading stopped past the limit
	// (DecodeReader).
	Size int64
}

func (e *TooLargeError) Error() string {
	size := "more"
	if e.Size > 0 {
		size = fmt.Sprintf("%d bytes", e.Size)
	}
	return fmt.Sprintf("manifest: input too large: %s, the limit is %d bytes (raise it with manifest.MaxBytes)", size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// DecodeOption adjusts one DecodeReader call. Options are made by MaxBytes
// and Strict only.
type DecodeOption interface{ apply(*decodeOptions) }

type decodeOptions struct {
	maxBytes int64
	// strict rejects duplicate keys and unknown fields.
	strict bool
	// validate runs each decoded object's own validation (Validate).
	validate bool
}

type optionFunc func(*decodeOptions)

func (f optionFunc) apply(o *decodeOptions) { f(o) }

// MaxBytes sets the largest input accepted, in bytes. If n <= 0,
// DefaultMaxBytes is used.
func MaxBytes(n int64) DecodeOption {
	return optionFunc(func(o *decodeOptions) { o.maxBytes = n })
}

// Strict makes DecodeReader decode as DecodeStrict does.
func Strict() DecodeOption { return optionFunc(func(o *decodeOptions) { o.strict = true }) }

func resolve(opts []DecodeOption) decodeOptions {
	var o decodeOptions
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.maxBytes <= 0 {
		o.maxBytes = DefaultMaxBytes
	}
	return o
}
