package ssoclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signingKey signs private_key_jwt client assertions (RFC 7523), the
// client authentication CIS2 requires in place of a shared secret.
type signingKey struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string
}

func readSigningKey(path, kid string) (*signingKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private_key_file: %w", err)
	}
	k, err := parseSigningKey(b, kid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func parseSigningKey(pemBytes []byte, kid string) (*signingKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("private_key_file holds no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("private_key_file: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &signingKey{key: k, alg: jose.RS512, kid: kid}, nil
	case *ecdsa.PrivateKey:
		alg, ok := map[int]jose.SignatureAlgorithm{256: jose.ES256, 384: jose.ES384, 521: jose.ES512}[k.Curve.Params().BitSize]
		if !ok {
			return nil, fmt.Errorf("private_key_file: OnePC signs with P-256, P-384 or P-521 keys, not %s", k.Curve.Params().Name)
		}
		return &signingKey{key: k, alg: alg, kid: kid}, nil
	}
	return nil, fmt.Errorf("private_key_file: a %T cannot sign; use an RSA or EC key", key)
}

// assertion is a short-lived JWT that says "this is client clientID" to the
// token endpoint, signed with the client's private key.
func (k *signingKey) assertion(clientID, tokenURL string, now time.Time) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.kid != "" {
		opts = opts.WithHeader("kid", k.kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, opts)
	if err != nil {
		return "", err
	}
	id := make([]byte, 16)
	rand.Read(id)
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: jwt.Audience{tokenURL},
		ID: base64.RawURLEncoding.EncodeToString(id), IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}).Serialize()
}
