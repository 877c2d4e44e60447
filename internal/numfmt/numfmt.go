// Package numfmt writes numbers for people the one way OnePC writes them:
// thousands separated by commas, as in Britain, and a true minus sign.
// Pages, explanations of payments, commands and benchmarks all use it.
package numfmt

import (
	"math"
	"strconv"
	"strings"
)

// Count writes a whole number: 1234567 → "1,234,567", -5 → "−5".
func Count(n int64) string {
	if n < 0 {
		if n == -n { // the one number with no positive counterpart
			return "−9,223,372,036,854,775,808"
		}
		return "−" + Count(-n)
	}
	s := strconv.FormatInt(n, 10)
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// ParseDecimal reads a number as a person types it, the way Count writes
// it: digits, with commas between thousands only where they belong
// ("1,050", never "1,5", which may have meant 1.5), and at most places
// decimal places after a point (and some: "5." is not a number). It returns the number times 10^places:
// ParseDecimal("1,050.5", 2) is 105050. Spaces around it are allowed; a
// sign, an exponent, or a number too large for int64 is not (ok false),
// so that nothing typed is read as something else.
func ParseDecimal(s string, places int) (n int64, ok bool) {
	s = strings.TrimSpace(s)
	whole, frac, point := strings.Cut(s, ".")
	if whole == "" && frac == "" || point && frac == "" || len(frac) > places {
		return 0, false
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false
			}
		}
		whole = strings.Join(groups, "")
	}
	digits := whole + frac + strings.Repeat("0", places-len(frac))
	for i := range len(digits) {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
