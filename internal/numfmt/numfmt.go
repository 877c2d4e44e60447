// Package numfmt writes numbers for people the one way OnePC writes them:
// thousands separated by commas, as in Britain, and a true minus sign.
// Pages, explanations of payments, commands and benchmarks all use it.
package numfmt

import "strconv"

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
