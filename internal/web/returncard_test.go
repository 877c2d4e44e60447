package web

import (
	"strings"
	"testing"
)

// TestCardEscapes: every value the card writes is escaped.
func TestCardEscapes(t *testing.T) {
	evil := `<script>alert("x")</script>`
	l := returnLine{Code: evil, Name: evil, Heading: evil, Status: evil, Message: evil, Preview: evil, Editable: true,
		Inputs: []inputView{{ID: `a"b`, Label: evil, Value: `"><script>`, Error: evil}}}
	l.buildCard("Y1", "2026-09", true)
	got := string(l.Card())
	if strings.Contains(got, "<script>") || strings.Contains(got, `a"b`) || strings.Contains(got, `value=""><`) {
		t.Errorf("unescaped value in %s", got)
	}
	l.Editable, l.Amendable, l.ClaimID = false, true, 7
	l.buildCard(`"><x>`, `"><y>`, true)
	got = string(l.Card())
	if strings.Contains(got, "<script>") || strings.Contains(got, `"><x>`) || strings.Contains(got, `"><y>`) || !strings.Contains(got, "&lt;script&gt;") {
		t.Errorf("read-only card: %s", got)
	}
}
