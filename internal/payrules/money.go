// Package payrules is the arithmetic of local service payments: fee per
// item, capitation, achievement, block and sessional rules, all in integer
// pence, every result explained in words. It holds no SQL and no HTTP.
package payrules

import (
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/numfmt"
)

// RoundingNote is the one statement of how OnePC rounds, printed under
// every statement.
const RoundingNote = "Each claim line is calculated exactly and rounded half up to the nearest penny once; totals add up the rounded lines."

// RoundHalfUp returns num/den rounded half up, for num ≥ 0 and den > 0.
// Negative numerators round toward zero so that no rule can pay below zero
// by rounding.
func RoundHalfUp(num, den int64) int64 {
	if den <= 0 || num <= 0 {
		return 0
	}
	return (2*num + den) / (2 * den)
}

// Pounds writes pence as money: 105000 → "£1,050.00".
func Pounds(p int64) string {
	neg := p < 0
	if neg {
		p = -p
	}
	s := "£" + numfmt.Count(p/100) + "." + twoDigits(p%100)
	if neg {
		return "−" + s
	}
	return s
}

// rate writes hundredths of a penny per unit as pounds to four places:
// 1250 → "£0.1250".
func rate(centipence int64) string {
	return "£" + numfmt.Count(centipence/10000) + "." + pad(strconv.FormatInt(centipence%10000, 10), 4)
}

func twoDigits(n int64) string { return pad(strconv.FormatInt(n, 10), 2) }

func pad(s string, n int) string {
	if len(s) < n {
		return strings.Repeat("0", n-len(s)) + s
	}
	return s
}

// percent writes a per-mille figure as a percentage: 780 → "78.0%".
func percent(pm int64) string {
	return strconv.FormatInt(pm/10, 10) + "." + strconv.FormatInt(pm%10, 10) + "%"
}

// ParsePounds reads "1,050.00", "£25" or "0.5" as pence; ok is false for
// anything else (numfmt.ParseDecimal), negative amounts, more than two
// decimal places and more than £10 billion.
func ParsePounds(s string) (int64, bool) {
	p, ok := numfmt.ParseDecimal(strings.TrimPrefix(strings.TrimSpace(s), "£"), 2)
	return p, ok && p <= 1e12
}
