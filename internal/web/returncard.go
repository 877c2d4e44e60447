package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/payrules"
)

// Card writes one return line's card. A return holds up to 25 services and
// is the page practices open most, so its cards are written here rather
// than through html/template, whose per-value escaping (done here with
// html.EscapeString on every value that is not a constant) costs more than
// the rest of the request put together.
func (l *returnLine) Card() template.HTML { return l.card }

// buildCard writes the card once, when the return is built; a cached
// return serves it to every request until the data changes.
func (l *returnLine) buildCard(org, month string, canSubmit bool) {
	var b strings.Builder
	e := html.EscapeString
	code := e(l.Code)
	b.WriteString(`<div class="nhsuk-card" data-testid="line-` + code + `"><div class="nhsuk-card__content">`)
	b.WriteString(`<h2 class="nhsuk-card__heading nhsuk-heading-m">` + e(l.Name) + ` <span class="onepc-code nhsuk-body-s">` + code + `</span></h2>`)
	b.WriteString(`<p class="nhsuk-body-s">` + e(l.Heading))
	if l.Status != "" {
		b.WriteString(` · <strong class="nhsuk-tag" data-testid="status-` + code + `">` + e(l.Status) + `</strong>`)
	}
	if l.Late {
		b.WriteString(` <strong class="nhsuk-tag nhsuk-tag--red">Late</strong>`)
	}
	b.WriteString(`</p>`)
	if l.Message != "" {
		b.WriteString(`<div class="nhsuk-warning-callout"><h3 class="nhsuk-warning-callout__label">Message from your commissioner</h3><p>` + e(l.Message) + `</p></div>`)
	}
	switch {
	case l.Editable && len(l.Inputs) == 0:
		b.WriteString(`<p>Nothing to report: this service pays a block sum.</p>`)
	case l.Editable:
		for _, in := range l.Inputs {
			id := e(in.ID)
			group, input, described := "", "", ""
			if in.Error != "" {
				group, input, described = " nhsuk-form-group--error", " nhsuk-input--error", ` aria-describedby="`+id+`-error"`
			}
			b.WriteString(`<div class="nhsuk-form-group` + group + `"><label class="nhsuk-label" for="` + id + `">` + e(in.Label) + `</label>`)
			if in.Error != "" {
				b.WriteString(`<span class="nhsuk-error-message" id="` + id + `-error"><span class="nhsuk-u-visually-hidden">Error:</span> ` + e(in.Error) + `</span>`)
			}
			b.WriteString(`<input class="nhsuk-input nhsuk-input--width-5` + input + `" id="` + id + `" name="` + id +
				`" type="text" inputmode="numeric" value="` + e(in.Value) + `" autocomplete="off"` + described + `></div>`)
		}
	default:
		b.WriteString(`<dl class="nhsuk-summary-list">`)
		for _, in := range l.Inputs {
			b.WriteString(`<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">` + e(in.Label) +
				`</dt><dd class="nhsuk-summary-list__value">` + e(in.Value) + `</dd></div>`)
		}
		b.WriteString(`</dl>`)
	}
	b.WriteString(`<p data-testid="preview-` + code + `"><strong>` + e(l.Preview) + `</strong></p>`)
	if len(l.Versions) > 0 {
		b.WriteString(`<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Versions (` +
			strconv.Itoa(len(l.Versions)) + `)</span></summary><div class="nhsuk-details__text"><ul>`)
		for _, v := range l.Versions {
			b.WriteString(`<li>Version ` + strconv.Itoa(v.Version) + `, ` + e(v.At.In(london()).Format("2 Jan 2006 15:04:05")) + ` by ` + e(v.By) +
				`: ` + e(payrules.Pounds(v.Pence)) + ` — ` + e(v.Explanation) + `</li>`)
		}
		b.WriteString(`</ul></div></details>`)
	}
	if canSubmit && l.Amendable {
		b.WriteString(`<p><a href="/orgs/` + e(org) + `/returns/` + e(month) + `?amend=` + strconv.FormatInt(l.ClaimID, 10) +
			`#amend">Amend ` + e(l.Name) + `</a></p>`)
	}
	b.WriteString(`</div></div>`)
	l.card = template.HTML(b.String())
}
