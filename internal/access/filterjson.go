package access

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// A filter is written to JSON (the API, and the measures table) by the
// published names of its values: {"statuses": ["DNA"]}. Definitions saved
// before were written as base64 bytes ({"statuses": "AQ=="}), which is how
// encoding/json writes a []uint8; they are still read.

type filterJSON struct {
	Statuses []string `json:"statuses,omitempty"`
	HCPs     []string `json:"hcp_types,omitempty"`
	Modes    []string `json:"modes,omitempty"`
	Bands    []string `json:"bands,omitempty"`
}

// MarshalJSON writes the filter by the published names of its values.
func (f Filter) MarshalJSON() ([]byte, error) {
	return json.Marshal(filterJSON{names(Statuses, f.Statuses), names(HCPs, f.HCPs), names(Modes, f.Modes), names(Bands, f.Bands)})
}

func names[T ~uint8](vocab []string, vs []T) []string {
	var out []string
	for _, v := range vs {
		if int(v) < len(vocab) {
			out = append(out, vocab[v])
		}
	}
	return out
}

// UnmarshalJSON reads a filter by published names, or as saved before (base64).
func (f *Filter) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = Filter{}
	for key, v := range raw {
		var err error
		switch key {
		case "statuses":
			f.Statuses, err = values[Status](v, key, Statuses)
		case "hcp_types":
			f.HCPs, err = values[HCP](v, key, HCPs)
		case "modes":
			f.Modes, err = values[Mode](v, key, Modes)
		case "bands":
			f.Bands, err = values[Band](v, key, Bands)
		default:
			err = fmt.Errorf("%q is not a filter's dimension: use statuses, hcp_types, modes or bands", key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func values[T ~uint8](v json.RawMessage, key string, vocab []string) ([]T, error) {
	var old string // base64, as saved before
	if json.Unmarshal(v, &old) == nil {
		b, err := base64.StdEncoding.DecodeString(old)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is neither a list of names nor saved values", key, old)
		}
		out := make([]T, 0, len(b))
		for _, x := range b {
			if int(x) >= len(vocab) {
				return nil, fmt.Errorf("%s: value %d is out of range", key, x)
			}
			out = append(out, T(x))
		}
		return out, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("%s: give a list of names, like [%q]", key, vocab[0])
	}
	var out []T
	for _, name := range list {
		i, ok := lookup(vocab, name)
		if !ok {
			return nil, vocabError(key, name, vocab)
		}
		out = append(out, T(i))
	}
	return out, nil
}

// Describe says in words which appointments the filter picks.
func (f Filter) Describe() string {
	var parts []string
	add := func(what string, ns []string) {
		if len(ns) > 0 {
			parts = append(parts, what+" "+orList(ns))
		}
	}
	add("status", names(Statuses, f.Statuses))
	add("clinician", names(HCPs, f.HCPs))
	add("mode", names(Modes, f.Modes))
	add("time from booking", names(Bands, f.Bands))
	if len(parts) == 0 {
		return "all appointments"
	}
	out := "appointments with "
	for i, p := range parts {
		if i > 0 {
			out += " and "
		}
		out += p
	}
	return out
}

// orList is "a", "a or b", "a, b or c", each quoted as published.
func orList(ns []string) string {
	out := ""
	for i, n := range ns {
		switch {
		case i == 0:
		case i == len(ns)-1:
			out += " or "
		default:
			out += ", "
		}
		out += "“" + n + "”"
	}
	return out
}
