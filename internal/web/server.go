// Package web serves OnePC's pages and JSON API: the route table, handlers,
// middleware, templates and the embedded NHS.UK frontend.
package web

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/ssoclient"
	"github.com/onepc/onepc/internal/store"
)

// Config is what the server needs from outside.
type Config struct {
	Store *store.Store
	Log   *slog.Logger
	// SecureCookies marks cookies Secure even on plain HTTP (set it when a
	// proxy terminates TLS and does not send X-Forwarded-Proto).
	SecureCookies bool
	Now           func() time.Time
	// SSO are the OpenID Connect providers people may sign in through, in
	// the order the sign-in page offers them.
	SSO []*ssoclient.Client
	// PublicURL is this site's address as browsers see it (https://onepc.example.nhs.uk),
	// from which the providers' redirect addresses are made; `onepc serve`
	// requires it with providers (tests go without: the request's host).
	PublicURL string
	// MailOn says outgoing mail is set up, so that a forgotten password can
	// be reset by an emailed link (with PublicURL).
	MailOn bool
}

// Server holds the handlers' shared state. It keeps nothing per user in
// memory: sessions, throttling and audit live in the database and are read
// on every request, so that several servers can run behind one load balancer.
type Server struct {
	store      *store.Store
	log        *slog.Logger
	secure     bool
	demo       bool // the database holds synthetic demo data (store.IsDemo)
	mailOn     bool // outgoing mail is set up (Config.MailOn)
	now        func() time.Time
	pages      map[string]*template.Template
	assets     *assets
	routes     []route
	rendered   sync.Map // template name → true once executed; tests check every page renders
	ssoClients map[string]*ssoclient.Client
	ssoOrder   []*ssoclient.Client
	publicURL  string
	// buffers holds page buffers for reuse: a heat map page is 150 kB, and
	// growing a new buffer for each page was a fifth of the garbage under
	// load (bench/mustdo).
	buffers sync.Pool
	// live fans the away day's events out to this server's streams
	// (planlive.go); stopping ends them (Stop).
	live     liveHub
	stopping chan struct{}
	stopOnce sync.Once
	// hashSlots bounds the password checks running at once to the cores;
	// hashWait is how long a check waits for a slot (10 s).
	hashSlots chan struct{}
	hashWait  time.Duration

	// Caches of what is built from reference data, keyed by its version
	// (store.DataVersion), so never stale, and never emptied by sign-ins or
	// claims. Each pays on the national benchmark (bench/gpad): without
	// tables an access page reads and ranks every measure's values for
	// every practice; without scopes a national user's page walks 7,450
	// organisations on every request (PostgreSQL, 50 clients: the measure
	// page 292 req/s without it, 1,895 with it); without chains every
	// request walks up the hierarchy before its handler runs (a tenth of the
	// server's time in bench/rush).
	tables *store.VersionCache[*access.Table]   // measure → ranked across every practice
	scopes *store.VersionCache[map[string]bool] // roots and day → every organisation at or below
	chains *store.VersionCache[[]string]        // organisation and day → it and those above it
	// measures in use, decoded from their JSON definitions: a twentieth of
	// bench/rush's CPU when every access page decoded all sixteen.
	measureList *store.VersionCache[[]access.Measure]
	// Kept while store.MustDoVersion stands (bench/mustdo: an ICB of 200
	// practices' heat map is a hundred thousand items worked out; a calendar
	// feed, hundreds of events written).
	heats *store.VersionCache[*mustdoHeatData] // organisation, year and day → the heat map
	feeds *store.VersionCache[*calendarFile]   // person, day and address → their calendar
}

// New builds a server and parses every template, failing at start rather
// than at the first request.
func New(cfg Config) (*Server, error) {
	s := &Server{store: cfg.Store, log: cfg.Log, secure: cfg.SecureCookies, now: cfg.Now, hashSlots: make(chan struct{}, runtime.NumCPU()), hashWait: 10 * time.Second}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.publicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	s.mailOn = cfg.MailOn
	s.ssoOrder = cfg.SSO
	s.ssoClients = map[string]*ssoclient.Client{}
	for _, c := range cfg.SSO {
		s.ssoClients[c.Provider.ID] = c
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	// Read once: a database is filled with the demo before it is served.
	if cfg.Store != nil { // (a test may draw templates with no database)
		if s.demo, err = cfg.Store.IsDemo(context.Background()); err != nil {
			return nil, err
		}
	}
	s.routes = s.routeTable()
	s.stopping = make(chan struct{})
	s.tables = store.NewVersionCache[*access.Table](100)
	s.scopes = store.NewVersionCache[map[string]bool](2000)
	s.chains = store.NewVersionCache[[]string](20000)
	s.measureList = store.NewVersionCache[[]access.Measure](1)
	s.buffers.New = func() any { return new(bytes.Buffer) }
	s.heats = store.NewVersionCache[*mustdoHeatData](200)
	s.feeds = store.NewVersionCache[*calendarFile](300) // a feed is a few hundred kB
	return s, nil
}

// Stop ends the live streams, for a shutdown: http.Server.Shutdown waits
// for requests in flight, and a stream would never finish by itself.
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Handler returns the whole application with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, s.wrap(rt))
		if rt.api {
			method, path, _ := cut(rt.pattern)
			mux.Handle(method+" /api"+path, s.wrap(rt))
		}
	}
	mux.Handle("GET /assets/", s.assets)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("/", s.wrap(route{pattern: "/", handle: s.notFoundPage}))

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, errCrossOrigin)
	}))
	return s.recoverPanics(s.logRequests(securityHeaders(csrf.Handler(mux))))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Ping(ctx); err != nil {
		s.log.Error("health check", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// Rendered reports which templates have been executed, for tests.
func (s *Server) Rendered() map[string]bool {
	out := map[string]bool{}
	s.rendered.Range(func(k, _ any) bool { out[k.(string)] = true; return true })
	return out
}

// Templates lists every page template, for tests.
func (s *Server) Templates() []string {
	var out []string
	for name := range s.pages {
		out = append(out, name)
	}
	return out
}
