package people

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPasswordHash reports whether password matches a HashPassword result.
// A hash that is not one (a person who signs in only through a provider has
// none) takes as long to refuse as a wrong password, so that timing does not
// tell which accounts have no password.
func CheckPasswordHash(hash, password string) bool {
	parts := strings.Split(hash, "$")
	var m, t uint32
	var p uint8
	var salt, want []byte
	var err1, err2 error
	if len(parts) == 6 && parts[1] == "argon2id" {
		_, err1 = fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		if err1 == nil {
			b64 := base64.RawStdEncoding
			salt, err1 = b64.DecodeString(parts[4])
			want, err2 = b64.DecodeString(parts[5])
		}
	}
	if len(parts) != 6 || parts[1] != "argon2id" || err1 != nil || err2 != nil {
		DummyCheck(password)
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyCheck spends the time of a real check, so that an unknown email takes
// as long to reject as a wrong password.
func DummyCheck(password string) {
	argon2.IDKey([]byte(password), make([]byte, 16), argonTime, argonMemory, argonThreads, argonKeyLen)
}
