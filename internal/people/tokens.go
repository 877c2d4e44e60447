package people

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

// APIToken is a personal token a script sends as "Authorization: Bearer
// …" to the JSON API. It carries its person's roles, except those that
// approve money (a script never does that), and is read-only unless made
// for writing. Only its hash is stored; Prefix identifies it on the page.
type APIToken struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"-"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	CanWrite  bool      `json:"can_write"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	LastUsed  time.Time `json:"last_used_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// TokenPrefix begins every token, so that one found in a file or a log can
// be recognised (and revoked).
const TokenPrefix = "onepc_"

// MaxTokenDays is the longest a token may last; MaxTokens how many one
// person may hold at once.
const (
	MaxTokenDays = 365
	MaxTokens    = 20
)

// Active reports whether the token can be used at now.
func (t APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// CheckNewToken checks a token about to be made: a name to know it by,
// and a life of one day to MaxTokenDays; active is how many the person
// holds already. Problems name the form's fields.
func CheckNewToken(name string, days, active int) error {
	var errs problem.Fields
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		errs.Add("name", "Give the token a name that says what uses it, like “monthly access report”")
	case n > 60:
		errs.Add("name", "Give the token a name of at most 60 characters")
	}
	if days < 1 || days > MaxTokenDays {
		errs.Add("days", "Choose how long the token lasts: from 1 to 365 days")
	}
	if active >= MaxTokens {
		errs.Add("name", "You hold 20 tokens already: revoke one you no longer use first")
	}
	return errs.Err()
}
