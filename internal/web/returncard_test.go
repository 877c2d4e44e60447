package web

import (
	"bytes"
	"strings"
	"testing"
)

// TestCardEscapes: every value the return card writes is escaped.
func TestCardEscapes(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	card := func(l returnLine, org, month string) string {
		var b bytes.Buffer
		if err := s.pages["return"].ExecuteTemplate(&b, "returncard", map[string]any{"L": &l, "Org": org, "Month": month, "CanSubmit": true}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	evil := `<script>alert("x")</script>`
	l := returnLine{Code: evil, Name: evil, Heading: evil, Status: evil, Message: evil, Preview: evil, Editable: true,
		Inputs: []inputView{{ID: `a"b`, Label: evil, Value: `"><script>`, Error: evil}}}
	got := card(l, "Y1", "2026-09")
	if strings.Contains(got, "<script>") || strings.Contains(got, `a"b`) || strings.Contains(got, `value=""><`) {
		t.Errorf("unescaped value in %s", got)
	}
	l.Editable, l.Amendable, l.ClaimID = false, true, 7
	got = card(l, `"><x>`, `"><y>`)
	if strings.Contains(got, "<script>") || strings.Contains(got, `"><x>`) || strings.Contains(got, `"><y>`) || !strings.Contains(got, "&lt;script&gt;") {
		t.Errorf("read-only card: %s", got)
	}
}
