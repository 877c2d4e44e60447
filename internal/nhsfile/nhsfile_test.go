package nhsfile

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestNewReaderDecodes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "a,b\r\n", "a,b\r\n"},
		{"BOM dropped", "\ufeffCODE", "CODE"},
		{"UTF-8 kept", "£5 café", "£5 café"},
		{"Windows-1252 pound and e-acute", "\xa35 caf\xe9", "£5 café"},
		{"mixed", "caf\xe9 £", "café £"},
		{"inner double spaces kept", "8  to 14 Days", "8  to 14 Days"},
		{"lines ended by CR alone (Excel for Mac)", "a,b\rc,d\r", "a,b\nc,d\n"},
		{"a CR inside CRLF lines kept", "a,\"x\ry\"\r\nc,d\r\n", "a,\"x\ry\"\r\nc,d\r\n"},
	}
	for _, tc := range tests {
		r, err := NewReader(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := NewReader(strings.NewReader("\xff\xfea\x00")); err != ErrEncoding {
		t.Errorf("UTF-16: got %v", err)
	}
	// A NUL in text says where it is, and is still an encoding error.
	_, err := NewReader(strings.NewReader("a,b\nc,d\x00e\n"))
	var ee *EncodingError
	if !errors.As(err, &ee) || ee.Line != 2 || ee.Column != 4 || !errors.Is(err, ErrEncoding) {
		t.Errorf("a NUL on line 2: got %v", err)
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		styles []DateStyle
		ok     bool
	}{
		{"20251201", []DateStyle{YYYYMMDD}, true},
		{"01DEC2025", []DateStyle{DDMONYYYY}, true},
		{"01dec2025", []DateStyle{DDMONYYYY}, true},
		{"01/12/2025", []DateStyle{YYYYMMDD, DDMMYYYY}, true},
		{"2025-12-01", []DateStyle{ISO}, true},
		{"20251301", []DateStyle{YYYYMMDD}, false},
		{"", []DateStyle{YYYYMMDD}, false},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in, tc.styles...)
		if tc.ok && (err != nil || !got.Equal(want)) {
			t.Errorf("ParseDate(%q) = %v, %v", tc.in, got, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("ParseDate(%q) accepted", tc.in)
		}
	}
	if d, err := ParseDate("01-Apr-17", DDMonYY); err != nil || d != time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("01-Apr-17 = %v %v", d, err)
	}
	if d, ok := ExcelSerialDate("43647"); !ok || d != time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("serial 43647 = %v", d)
	}
	if got := NormaliseHeader("\ufeffPractice to PCN\nRelationship \r\nStart Date  "); got != "practice to pcn relationship start date" {
		t.Errorf("NormaliseHeader = %q", got)
	}
}
