package audit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Words says what an entry records in a sentence a person can read:
// "approved claim 42", "gave a role to user kim@example.org". An action
// with no words of its own reads as its code.
func (e Entry) Words() string {
	_, verb, _ := strings.Cut(e.Action, ".")
	w, ok := verbs[verb]
	if !ok {
		w = strings.ReplaceAll(e.Action, ".", " ")
	}
	what := entities[e.Entity]
	if what == "" {
		what = e.Entity
	}
	return strings.TrimSpace(w + " " + what + " " + e.EntityID)
}

var verbs = map[string]string{
	"add": "added", "create": "added", "make": "offered", "approve": "approved", "reject": "rejected",
	"query": "queried", "finance": "approved for finance", "submit": "submitted", "save": "saved a draft of",
	"amend": "amended", "grant": "gave a role to", "revoke": "took a role or token from", "end": "ended",
	"withdraw": "withdrew", "publish": "published", "rule": "changed the payment rule of",
	"specification": "attached a specification to", "delete": "deleted", "password": "set the password of",
	"disable": "disabled", "enable": "enabled", "reset-link": "made a password link for",
	"commit": "confirmed the payment run", "draft": "previewed the payment run", "discard": "discarded the payment run",
	"reverse": "reversed the payment run", "start": "began", "end-all": "ended every session of",
	"failed": "failed to sign in as", "link": "linked a sign-in identity to", "unlink": "unlinked a sign-in identity from",
	"target": "set a target for", "delegate": "let its PCN make the claims of", "hold": "placed or lifted a hold on",
	"certificate": "certified the destruction of", "propose": "proposed the disposal of", "done": "marked done",
	"assign": "assigned", "score": "scored", "agree": "agreed", "close": "closed", "share": "shared",
	"moderate": "moderated", "evidence": "attached evidence to", "remove": "removed", "update": "changed",
	"accepted": "accepted the offer", "rejected": "declined the offer",
}

var entities = map[string]string{
	"org": "organisation", "user": "user", "claim": "claim", "service": "service", "offer": "offer of",
	"payment_run": "", "measure": "measure", "membership": "PCN membership of",
}

// Changes lists, in words, the fields an entry's Before and After differ
// in: "status: submitted → approved". Fields whose values are long or
// nested say only that they changed; at most max are listed.
func (e Entry) Changes(max int) []string {
	var before, after map[string]json.RawMessage
	json.Unmarshal(e.Before, &before)
	json.Unmarshal(e.After, &after)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !bytes.Equal(before[k], after[k]) {
			changed = append(changed, k)
		}
	}
	var out []string
	for i, k := range changed {
		if i == max {
			out = append(out, fmt.Sprintf("and %d more", len(changed)-max))
			break
		}
		b, a := before[k], after[k]
		switch {
		case len(b) == 0:
			out = append(out, fmt.Sprintf("%s: %s", label(k), short(a)))
		case len(a) == 0:
			out = append(out, fmt.Sprintf("%s: %s removed", label(k), short(b)))
		default:
			out = append(out, fmt.Sprintf("%s: %s → %s", label(k), short(b), short(a)))
		}
	}
	return out
}

func label(k string) string { return strings.ReplaceAll(k, "_", " ") }

// short is a JSON value in words: a string or number as it is (cut at 60
// characters), anything nested as "(changed)".
func short(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return "(none)"
		}
		return cut(s)
	}
	if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
		return cut(flat(v))
	}
	return string(v)
}

// flat words a record or list of plain values ("ecgs performed 30, visits
// 4"; "a, b"), which is most of what is kept; anything deeper stays "(a
// list or record)".
func flat(v json.RawMessage) string {
	var values []json.RawMessage
	var names []string // a record's keys, worded, in order; none for a list
	var rec map[string]json.RawMessage
	if json.Unmarshal(v, &rec) == nil {
		for _, k := range slices.Sorted(maps.Keys(rec)) {
			names, values = append(names, label(k)+" "), append(values, rec[k])
		}
	} else if json.Unmarshal(v, &values) != nil {
		return "(a list or record)"
	}
	parts := make([]string, len(values))
	for i, e := range values {
		w := plain(e)
		if w == "" {
			return "(a list or record)"
		}
		if names != nil {
			w = names[i] + w
		}
		parts[i] = w
	}
	return cmp.Or(strings.Join(parts, ", "), "(none)")
}

// plain is a string, number or true/false as it reads, or "" for anything else.
func plain(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return cmp.Or(s, "(none)")
	}
	if len(v) > 0 && v[0] != '{' && v[0] != '[' && string(v) != "null" {
		return string(v)
	}
	return ""
}

// cut shortens words to 60 characters.
func cut(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}
