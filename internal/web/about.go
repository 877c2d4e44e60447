package web

import (
	"cmp"
	"context"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/onepc/onepc/internal/store"
)

// statusData is what the service status page says: whether OnePC can reach
// its database, and, to people signed in only, which build is running, on
// which engine, with which schema (to anyone else it would say which known
// flaws to try).
type statusData struct {
	OK       bool          `json:"database_reachable"`
	Version  string        `json:"version,omitempty"`
	Revision string        `json:"revision,omitempty"`
	Built    string        `json:"built,omitempty"`
	Schema   *store.Schema `json:"schema,omitempty"`
	Demo     bool          `json:"demo_data"`
	Time     time.Time     `json:"server_time"`
}

// build is the running binary's version and commit, as Go recorded them.
func build() (version, revision, at string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "", ""
	}
	version = info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				revision += " (with changes not committed)"
			}
		}
	}
	return cmp.Or(version, "(devel)"), revision, at
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	d := statusData{Demo: s.demo, Time: s.now()}
	status := http.StatusOK
	schema, err := s.store.SchemaStatus(ctx)
	if err == nil {
		d.OK = true
	} else {
		s.log.Error("status", "err", err)
		status = http.StatusServiceUnavailable
	}
	if rq.user.ID != 0 {
		d.Version, d.Revision, d.Built = build()
		d.Schema = &schema
	}
	return s.render(w, r, rq, status, "status", page{Title: "Service status", Data: d})
}

// infoPage serves one of the pages every NHS service has: accessibility,
// privacy, cookies and help.
func (s *Server) infoPage(name, title string) func(w http.ResponseWriter, r *http.Request, rq *request) error {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		return s.render(w, r, rq, http.StatusOK, name, page{Title: title})
	}
}
