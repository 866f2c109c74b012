package pki

import "encoding/base64"

// appendPEM appends der as a PEM block of type typ, without headers, as
// encoding/pem writes it: 64 characters a line, each line and the END line
// ended by a newline. pem.EncodeToMemory wraps a base64 stream encoder and
// a line breaker around a bytes.Buffer (four allocations and two copies a
// block); an issuance writes half a dozen blocks.
func appendPEM(dst []byte, typ string, der []byte) []byte {
	const lineLen = 64
	enc := base64.StdEncoding
	n := enc.EncodedLen(len(der))
	size := len("-----BEGIN -----\n") + len(typ) + n + (n+lineLen-1)/lineLen + len("-----END -----\n") + len(typ)
	if cap(dst)-len(dst) < size {
		grown := make([]byte, len(dst), len(dst)+size)
		copy(grown, dst)
		dst = grown
	}
	dst = append(dst, "-----BEGIN "...)
	dst = append(dst, typ...)
	dst = append(dst, "-----\n"...)
	// Encode 48 input bytes (64 characters) a line.
	for len(der) > 0 {
		chunk := min(len(der), lineLen/4*3)
		dst = enc.AppendEncode(dst, der[:chunk])
		dst = append(dst, '\n')
		der = der[chunk:]
	}
	dst = append(dst, "-----END "...)
	dst = append(dst, typ...)
	return append(dst, "-----\n"...)
}
