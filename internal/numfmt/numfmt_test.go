package numfmt

import (
	"math"
	"testing"
)

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 26408: "26,408", 1234567: "1,234,567", -1500: "−1,500",
		math.MaxInt64: "9,223,372,036,854,775,807", math.MinInt64: "−9,223,372,036,854,775,808",
	} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestParseDecimal: a number is read as typed or refused, never read as
// another (a probe's "1,5" was saved as 15, "-0.50" as 50p, and a rate of
// 1844674407370956 wrapped round to 84p).
func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in     string
		places int
		want   int64
		ok     bool
	}{
		{"0", 0, 0, true},
		{"1050", 0, 1050, true},
		{"1,050", 0, 1050, true},
		{" 12,345,678 ", 0, 12345678, true},
		{"1,050.5", 2, 105050, true},
		{"0.1250", 4, 1250, true},
		{".5", 2, 50, true},
		{"5.", 2, 0, false},
		{"0.5", 2, 50, true},
		{"1,5", 0, 0, false},
		{"1,2,3", 0, 0, false},
		{"1,0.5", 2, 0, false},
		{",100", 0, 0, false},
		{"1000,000", 0, 0, false},
		{"-0.50", 2, 0, false},
		{"-5", 0, 0, false},
		{"+5", 0, 0, false},
		{"1e3", 0, 0, false},
		{"0x10", 0, 0, false},
		{"1_000", 0, 0, false},
		{"1.234", 2, 0, false},
		{"1.5", 0, 0, false},
		{"", 0, 0, false},
		{".", 2, 0, false},
		{"2 50", 2, 0, false},
		{"9223372036854775807", 0, math.MaxInt64, true},
		{"9223372036854775808", 0, 0, false},
		{"1844674407370956", 4, 0, false},
		{"١٢", 0, 0, false}, // digits of another script
	} {
		got, ok := ParseDecimal(tc.in, tc.places)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseDecimal(%q, %d) = %d, %v; want %d, %v", tc.in, tc.places, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"1,050.50", "0.1250", "-1", "1,5"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, places int) {
		places = places & 7
		n, ok := ParseDecimal(s, places)
		if !ok {
			return
		}
		if n < 0 {
			t.Fatalf("%q read as %d", s, n)
		}
	})
}
