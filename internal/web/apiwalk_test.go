package web_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestAPIWalk reads every JSON route, as every demo role, for several
// organisations, on the whole demo and on a database with gaps (no
// services, two months of appointments for practices with no list sizes):
// no answer may be a server error, carry anything but whole JSON (never
// NaN or half a body), or say 200 over an error.
func TestAPIWalk(t *testing.T) {
	for _, db := range []struct {
		name string
		fill func(t *testing.T, a *app)
	}{
		{"the whole demo", func(t *testing.T, a *app) {
			if _, err := demo.LoadAll(t.Context(), a.store, now); err != nil {
				t.Fatal(err)
			}
		}},
		{"a database with gaps", func(t *testing.T, a *app) {
			importSampleAppointments(t, a)
		}},
	} {
		t.Run(db.name, func(t *testing.T) {
			a := newApp(t, storetest.Open(t, "sqlite"))
			db.fill(t, a)
			routes := a.srv.APIRoutes()
			if len(routes) < 30 {
				t.Fatalf("only %d API routes", len(routes))
			}
			values := map[string][]string{"{code}": {"Y00001", "U00001", "99X", "QZZ", "Z00001"}, "{id}": {"1", "2"}, "{run}": {"1"}, "{month}": {"2026-10", "2025-10"}}
			walked := 0
			for _, role := range []people.Role{people.PracticeManager, people.PCNManager, people.Commissioner, people.FinanceOfficer, people.Admin} {
				c := a.as(role)
				for _, rt := range routes {
					method, path, _ := strings.Cut(rt, " ")
					if method != "GET" {
						continue
					}
					for _, p := range expand(path, values) {
						got := c.get(p)
						walked++
						switch {
						case got.status >= 500:
							t.Errorf("%s %s: %d %s", role, p, got.status, got.body)
						case !json.Valid([]byte(got.body)):
							t.Errorf("%s %s: %d, not whole JSON: %.200s", role, p, got.status, got.body)
						case got.status == 200 && strings.HasPrefix(strings.TrimSpace(got.body), `{`) && strings.Contains(got.body[:min(len(got.body), 40)], `"error"`):
							t.Errorf("%s %s: 200 with an error: %.200s", role, p, got.body)
						case got.status >= 400 && !strings.Contains(got.body, `"error"`):
							t.Errorf("%s %s: %d without an error message: %.200s", role, p, got.status, got.body)
						}
					}
				}
			}
			t.Logf("%d answers read", walked)
		})
	}
}

// expand fills each {name} of path with each of its values.
func expand(path string, values map[string][]string) []string {
	out := []string{path}
	for name, vs := range values {
		var next []string
		for _, p := range out {
			if !strings.Contains(p, name) {
				next = append(next, p)
				continue
			}
			for _, v := range vs {
				next = append(next, strings.ReplaceAll(p, name, v))
			}
		}
		out = next
	}
	return out
}

func importSampleAppointments(t *testing.T, a *app) {
	t.Helper()
	if _, err := a.store.ImportAppointments(t.Context(), "test", "sample.csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		f, err := os.Open("testdata/Practice_Level_Crosstab_SAMPLE.csv")
		if err != nil {
			return access.Summary{}, err
		}
		defer f.Close()
		return access.Aggregate(f, "sample.csv", access.Options{}, emit)
	}); err != nil {
		t.Fatal(err)
	}
}
