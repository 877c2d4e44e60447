package web

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
)

// markdown renders text written in Markdown (a must-do's guidance, which
// ICB administrators write) as HTML. goldmark's defaults leave out raw HTML
// and dangerous link schemes (javascript: and the like), so what an
// administrator types cannot run in a reader's browser.
func markdown(text string) template.HTML {
	var buf bytes.Buffer
	if err := goldmark.Convert([]byte(text), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(text))
	}
	return template.HTML(buf.String())
}
