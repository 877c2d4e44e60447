package web

import (
	_ "embed"
	"net/http"
)

// openAPI describes every JSON route (OpenAPI 3.1). It is a file, kept true
// by TestOpenAPI, which compares it with the route table (and, run with
// -update-openapi, adds what is missing).
//
//go:embed openapi.json
var openAPI []byte

func (s *Server) openAPIDoc(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPI)
	return err
}
