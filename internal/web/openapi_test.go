package web_test

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/onepc/onepc/internal/store/storetest"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "add the JSON routes openapi.json is missing, and drop those gone")

// TestOpenAPI: /api/openapi.json is OpenAPI 3.1 and describes exactly the
// JSON routes the route table serves, each with a summary and its path's
// parameters.
func TestOpenAPI(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	got := a.anon().get("/api/openapi.json")
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if got.status != 200 || json.Unmarshal([]byte(got.body), &doc) != nil {
		t.Fatalf("openapi.json: %d %.200s", got.status, got.body)
	}
	routes := a.srv.APIRoutes()
	if *updateOpenAPI {
		writeOpenAPI(t, routes)
		return
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if s, _ := op["summary"].(string); s == "" {
				t.Errorf("%s %s has no summary", method, path)
			}
			params, _ := op["parameters"].([]any)
			if want := strings.Count(path, "{"); len(params) < want {
				t.Errorf("%s %s: %d parameters described, its path has %d", method, path, len(params), want)
			}
		}
	}
	slices.Sort(documented)
	want := slices.Sorted(slices.Values(routes))
	if !slices.Equal(documented, want) {
		for _, r := range want {
			if !slices.Contains(documented, r) {
				t.Errorf("not in openapi.json: %s (run go test ./internal/web -run TestOpenAPI -update-openapi, then describe it)", r)
			}
		}
		for _, d := range documented {
			if !slices.Contains(want, d) {
				t.Errorf("in openapi.json but not served: %s", d)
			}
		}
	}
}

var paramDocs = map[string]string{
	"code":     "The organisation's ODS code (a practice, PCN, Place or ICB)",
	"id":       "The item's number, as the list it comes from gives it",
	"month":    "A month, as YYYY-MM",
	"run":      "The payment run's number",
	"provider": "The sign-in provider's id",
}

// writeOpenAPI writes openapi.json: the operations already described are
// kept as they are; missing ones are added with a summary from the route's
// path, to be improved by hand.
func writeOpenAPI(t *testing.T, routes []string) {
	var old map[string]any
	b, _ := os.ReadFile("openapi.json")
	json.Unmarshal(b, &old)
	oldPaths, _ := old["paths"].(map[string]any)
	paths := map[string]any{}
	param := regexp.MustCompile(`\{(\w+)\}`)
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		m := strings.ToLower(method)
		ops, _ := paths[path].(map[string]any)
		if ops == nil {
			ops = map[string]any{}
			paths[path] = ops
		}
		if prev, ok := oldPaths[path].(map[string]any); ok && prev[m] != nil {
			ops[m] = prev[m]
			continue
		}
		var params []any
		for _, p := range param.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": p[1], "in": "path", "required": true,
				"description": paramDocs[p[1]], "schema": map[string]any{"type": "string"}})
		}
		op := map[string]any{"summary": summaryOf(method, path), "responses": map[string]any{
			"2XX": map[string]any{"description": "Done: the page's data as JSON (a write may answer 201 or 204)", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}},
			"4XX": map[string]any{"$ref": "#/components/responses/Problem"}}}
		if params != nil {
			op["parameters"] = params
		}
		if method != "GET" {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		ops[m] = op
	}
	old["paths"] = paths
	out, err := json.MarshalIndent(old, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("openapi.json", append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// summaryOf words a route: "GET /api/orgs/{code}/returns" is "Read an
// organisation's returns".
func summaryOf(method, path string) string {
	var words []string
	for _, part := range strings.Split(strings.TrimPrefix(path, "/api/"), "/") {
		if strings.HasPrefix(part, "{") {
			continue
		}
		words = append(words, strings.ReplaceAll(part, "-", " "))
	}
	verb := "Read"
	if method != "GET" {
		verb = "Send"
	}
	s := verb + ": " + strings.Join(words, " › ")
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
