package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/offender"
)

var routePattern = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE) (/\S*)$`)

// sourceRoutes finds every route pattern the package's handlers register:
// each string literal "METHOD /path" in its non-test files (s.route, mux
// patterns and the review steps are all written that way), with its file.
func sourceRoutes(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil || !routePattern.MatchString(v) {
				return true
			}
			m := routePattern.FindStringSubmatch(v)
			if m[2] == "/" || strings.HasPrefix(m[2], "/ui") || m[2] == "/{$}" {
				return true // the catch-all and the web UI are not the API
			}
			out[v] = f
			return true
		})
	}
	return out
}

// docRoutes lists the document's operations as "METHOD /path".
func docRoutes(t *testing.T) (map[string]bool, map[string]any) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(OpenAPI), &doc); err != nil {
		t.Fatalf("the OpenAPI document is not JSON: %v", err)
	}
	out := map[string]bool{}
	for path, ops := range doc["paths"].(map[string]any) {
		for method := range ops.(map[string]any) {
			out[strings.ToUpper(method)+" "+path] = true
		}
	}
	return out, doc
}

// Every route a handler registers is in the document, and every operation
// of the document is a registered route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	src := sourceRoutes(t)
	doc, _ := docRoutes(t)
	for r, file := range src {
		if !doc[r] {
			t.Errorf("route %s (%s) is not in the OpenAPI document (api/openapi.go)", r, file)
		}
	}
	for r := range doc {
		if _, ok := src[r]; !ok {
			t.Errorf("the OpenAPI document has %s, which no handler registers", r)
		}
	}
	for _, want := range []string{"GET /v1/cases", "POST /v1/cases/{refund_id}/verdict", "GET /v1/search", "GET /v1/buyers/{buyer_id}",
		"GET /v1/rules", "GET /v1/cases/{refund_id}/evidence", "GET /v1/openapi.json", "GET /v1/refunds/{refund_id}", "GET /metrics"} {
		if _, ok := src[want]; !ok {
			t.Errorf("route %s not found in the source: the scan is broken", want)
		}
	}
}

// The document's operations reach their handlers on a server built as the
// daemon builds it (for the routes of this package's core files).
func TestOpenAPIOperationsReachHandlers(t *testing.T) {
	src := sourceRoutes(t)
	doc, _ := docRoutes(t)
	tokens, err := NewTokens([]Token{{Token: admin, Shop: "*", Role: RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(fakeLookup{}, tokens, nil, reg, reg, log)
	h, _ := offender.NewHasher([]byte("api-test-key-0123456789"))
	s.HandleOffenders(&fakeOffenderBook{h: h})
	s.HandleReview(NewReview(nil, nil, nil, nil, ReviewConfig{}, reg, log))
	s.HandleOpenAPI()
	core := []string{"api.go", "offenders.go", "review.go", "search.go", "evidence.go", "openapi.go"}
	checked := 0
	for r := range doc {
		if !slices.Contains(core, src[r]) {
			continue
		}
		method, path, _ := strings.Cut(r, " ")
		path = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(path, "x")
		req := httptest.NewRequest(method, path, nil) // no token: authed routes answer 401
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "no such endpoint") || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s: %d %s", r, rec.Code, rec.Body.String())
		}
		checked++
	}
	if checked < 15 {
		t.Fatalf("only %d operations checked", checked)
	}
}

// The document is well formed: OpenAPI 3.1, every $ref resolves, every
// operation has an id and answers, path parameters are declared.
func TestOpenAPIDocument(t *testing.T) {
	_, doc := docRoutes(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	components := doc["components"].(map[string]any)
	resolves := func(ref string) bool {
		for _, kind := range []string{"schemas", "responses"} {
			if name, ok := strings.CutPrefix(ref, "#/components/"+kind+"/"); ok {
				defs, _ := components[kind].(map[string]any)
				return defs[name] != nil
			}
		}
		return false
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !resolves(ref) {
					t.Errorf("unresolved $ref %s", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	ids := map[string]bool{}
	for path, ops := range doc["paths"].(map[string]any) {
		params := regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(path, -1)
		for method, o := range ops.(map[string]any) {
			op := o.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, id)
			}
			ids[id] = true
			if len(op["responses"].(map[string]any)) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
			declared := map[string]bool{}
			for _, p := range anyList(op["parameters"]) {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, p := range params {
				if !declared[p[1]] {
					t.Errorf("%s %s: path parameter %s not declared", method, path, p[1])
				}
			}
		}
	}
	// It is served, without a token.
	e := httptest.NewRecorder()
	s := New(fakeLookup{}, &Tokens{}, nil, prometheus.NewRegistry(), prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.HandleOpenAPI()
	s.ServeHTTP(e, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if e.Code != 200 || e.Header().Get("Content-Type") != "application/json" || e.Body.String() != OpenAPI {
		t.Fatalf("GET /v1/openapi.json: %d %s", e.Code, e.Header())
	}
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}
