package certificate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSpecEffectiveDuration(t *testing.T) {
	assert.Equal(t, 2160*time.Hour, (&Spec{}).EffectiveDuration(), "nil means 90 days")
	assert.Equal(t, 24*time.Hour, (&Spec{Duration: validationDur(24 * time.Hour)}).EffectiveDuration())
}

func TestSpecKeyConfig(t *testing.T) {
	tests := []struct {
		name string
		in   *PrivateKey
		want PrivateKey
	}{
		{"nil is RSA 2048 PKCS1 Always", nil, PrivateKey{Algorithm: RSA, Size: 2048, Encoding: PKCS1, RotationPolicy: RotationAlways}},
		{"empty is RSA 2048 PKCS1 Always", &PrivateKey{}, PrivateKey{Algorithm: RSA, Size: 2048, Encoding: PKCS1, RotationPolicy: RotationAlways}},
		{"RSA keeps size", &PrivateKey{Size: 4096}, PrivateKey{Algorithm: RSA, Size: 4096, Encoding: PKCS1, RotationPolicy: RotationAlways}},
		{"ECDSA defaults to 256", &PrivateKey{Algorithm: ECDSA}, PrivateKey{Algorithm: ECDSA, Size: 256, Encoding: PKCS1, RotationPolicy: RotationAlways}},
		{"ECDSA keeps everything", &PrivateKey{Algorithm: ECDSA, Size: 384, Encoding: PKCS8, RotationPolicy: RotationNever},
			PrivateKey{Algorithm: ECDSA, Size: 384, Encoding: PKCS8, RotationPolicy: RotationNever}},
		{"Ed25519 is PKCS8 without size", &PrivateKey{Algorithm: Ed25519, Size: 99}, PrivateKey{Algorithm: Ed25519, Encoding: PKCS8, RotationPolicy: RotationAlways}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Spec{PrivateKey: tt.in}
			var before *PrivateKey
			if tt.in != nil {
				c := *tt.in
				before = &c
			}
			assert.Equal(t, tt.want, s.KeyConfig())
			assert.Equal(t, before, s.PrivateKey, "spec not modified")
		})
	}
}

func TestSpecHistoryLimit(t *testing.T) {
	assert.Equal(t, 1, (&Spec{}).HistoryLimit(), "nil means 1")
	assert.Equal(t, 5, (&Spec{RevisionHistoryLimit: validationI32(5)}).HistoryLimit())
	assert.Equal(t, 1, (&Spec{RevisionHistoryLimit: validationI32(0)}).HistoryLimit(), "invalid values read as 1")
}
