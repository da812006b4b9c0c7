package api

// Parked webhook deliveries, for operators (admin tokens):
//
//	GET  /v1/webhooks/parked          200 {"deliveries": [...]}
//	POST /v1/webhooks/parked/replay   {"ids": ["..."]} (empty: all)   200 {"replayed": n}

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/sellerguard/sellerguard/webhook"
)

// ParkedDeliveries lists and replays parked webhook deliveries.
type ParkedDeliveries interface {
	Parked(ctx context.Context) ([]webhook.Delivery, error)
	Replay(ctx context.Context, ids []string) (int, error)
}

// HandleWebhooks serves the parked-delivery endpoints.
func (s *Server) HandleWebhooks(p ParkedDeliveries) {
	admin := func(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
			if tok.Role != RoleAdmin {
				writeError(w, http.StatusForbidden, "forbidden", "webhook deliveries are for admin tokens")
				return
			}
			h(w, r)
		})
	}
	s.route("GET /v1/webhooks/parked", "/v1/webhooks/parked", admin(func(w http.ResponseWriter, r *http.Request) {
		ds, err := p.Parked(r.Context())
		if err != nil {
			s.unavailable(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
	}))
	s.route("POST /v1/webhooks/parked/replay", "/v1/webhooks/parked/replay", admin(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			IDs []string `json:"ids"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil && err != io.EOF {
			writeError(w, http.StatusBadRequest, "bad_request", "body: "+err.Error())
			return
		}
		n, err := p.Replay(r.Context(), req.IDs)
		if err != nil {
			s.unavailable(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"replayed": n})
	}))
}
