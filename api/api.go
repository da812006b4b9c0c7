// Package api serves the lookup API, health checks and metrics over HTTP.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Lookup reads stored assessments.
type Lookup interface {
	// Assessment returns one shop's refund assessment as JSON; found is false
	// when there is none.
	Assessment(ctx context.Context, shop, refundID string) (body []byte, found bool, err error)
	// RefundShops returns the shops that have this refund id, sorted.
	RefundShops(ctx context.Context, refundID string) ([]string, error)
}

// Check is one dependency /readyz asks.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Server holds the handlers.
type Server struct {
	lookup Lookup
	tokens *Tokens
	checks []Check
	gather prometheus.Gatherer
	log    *slog.Logger
	m      httpMetrics
	mux    *http.ServeMux
}

// New builds the HTTP handler. gather serves /metrics; reg receives the API's own metrics.
func New(lookup Lookup, tokens *Tokens, checks []Check, gather prometheus.Gatherer, reg prometheus.Registerer, log *slog.Logger) *Server {
	s := &Server{lookup: lookup, tokens: tokens, checks: checks, gather: gather, log: log, m: newHTTPMetrics(reg), mux: http.NewServeMux()}
	s.route("GET /v1/refunds/{refund_id}", "/v1/refunds/{refund_id}", s.authed(s.getRefund))
	s.route("GET /healthz", "/healthz", s.healthz)
	s.route("GET /readyz", "/readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(gather, promhttp.HandlerOpts{Registry: reg}))
	s.route("/", "other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// route registers a handler and counts its requests under a bounded label.
func (s *Server) route(pattern, label string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h(rec, r)
		s.m.requests.WithLabelValues(label, strconv.Itoa(rec.code)).Inc()
		s.m.duration.WithLabelValues(label).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

type ctxKey struct{}

// authed lets a request through only with a known bearer token.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, Token)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := s.tokens.FromRequest(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sellerguard"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
			return
		}
		h(w, r, tok)
	}
}

func (s *Server) getRefund(w http.ResponseWriter, r *http.Request, tok Token) {
	id := r.PathValue("refund_id")
	shop := tok.Shop
	if tok.AllShops() {
		shop = r.URL.Query().Get("shop_id")
		if shop == "" {
			shops, err := s.lookup.RefundShops(r.Context(), id)
			if err != nil {
				s.unavailable(w, err)
				return
			}
			switch len(shops) {
			case 0:
				writeError(w, http.StatusNotFound, "not_found", "refund "+id+" is unknown")
				return
			case 1:
				shop = shops[0]
			default:
				writeError(w, http.StatusConflict, "ambiguous_refund", "refund "+id+" exists in several shops; add ?shop_id=")
				return
			}
		}
	}
	body, found, err := s.lookup.Assessment(r.Context(), shop, id)
	if err != nil {
		s.unavailable(w, err)
		return
	}
	if !found {
		// Another shop's refund looks exactly like an unknown one.
		writeError(w, http.StatusNotFound, "not_found", "refund "+id+" is unknown")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (s *Server) unavailable(w http.ResponseWriter, err error) {
	s.log.Error("lookup failed", "err", err)
	writeError(w, http.StatusServiceUnavailable, "unavailable", "the assessment store is not reachable")
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{}
	code := http.StatusOK
	for _, c := range s.checks {
		if err := c.Ping(ctx); err != nil {
			status[c.Name] = err.Error()
			code = http.StatusServiceUnavailable
		} else {
			status[c.Name] = "ok"
		}
	}
	writeJSON(w, code, status)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg}})
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) httpMetrics {
	m := httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_http_requests_total", Help: "HTTP requests, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sellerguard_http_request_duration_seconds", Help: "HTTP request duration, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}
