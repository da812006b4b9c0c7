package api

// GET /v1/openapi.json: the API described as OpenAPI 3.1. The document is
// written by hand in openapi.json; TestOpenAPIMatchesRoutes checks that it names every
// route the handlers register and nothing else, and that each of its
// operations reaches a handler.

import (
	_ "embed"
	"net/http"
)

// HandleOpenAPI serves the OpenAPI document (no token needed: it holds no data).
func (s *Server) HandleOpenAPI() {
	s.route("GET /v1/openapi.json", "/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(OpenAPI))
	})
}

// OpenAPI is the API's OpenAPI 3.1 document.
//
//go:embed openapi.json
var OpenAPI string
