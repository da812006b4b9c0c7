package api

// POST /v1/refunds/assess: a refund workflow asks before the event stream has
// delivered the refund. The body carries the refund (and optionally its order
// and return parcel) as contract events; they are stored as facts exactly as
// if they had come from Kafka, and the answer is the refund's assessment.
// Idempotent by event_id: asking twice changes nothing.
//
//	POST /v1/refunds/assess
//	{"refund": {…refund event…}, "order": {…order event…}, "return": {…return event…}}
//
//	200 {…the assessment, as GET /v1/refunds/{id}…}

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/sellerguard/sellerguard/event"
)

// Ingester takes events as the stream would deliver them and returns once
// their effects are stored.
type Ingester interface {
	Ingest(ctx context.Context, events []event.Event) error
}

const maxAssessBody = 1 << 20

// HandleAssess serves POST /v1/refunds/assess.
func (s *Server) HandleAssess(in Ingester) {
	s.route("POST /v1/refunds/assess", "/v1/refunds/assess", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		s.assess(w, r, tok, in)
	}))
}

func (s *Server) assess(w http.ResponseWriter, r *http.Request, tok Token, in Ingester) {
	var body struct {
		Refund json.RawMessage `json:"refund"`
		Order  json.RawMessage `json:"order"`
		Return json.RawMessage `json:"return"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxAssessBody)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body: "+err.Error())
		return
	}
	if len(body.Refund) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "refund: required")
		return
	}
	var events []event.Event
	var refund *event.Refund
	for _, part := range []struct {
		name string
		kind event.Kind
		raw  json.RawMessage
	}{{"order", event.KindOrder, body.Order}, {"return", event.KindReturn, body.Return}, {"refund", event.KindRefund, body.Refund}} {
		if len(part.raw) == 0 || string(part.raw) == "null" {
			continue
		}
		ev, err := event.Decode(part.kind, part.raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", part.name+": "+err.Error())
			return
		}
		if h := ev.Head(); !tok.AllShops() && h.ShopID != tok.Shop {
			// Another shop's data is never taken, nor confirmed to exist.
			writeError(w, http.StatusForbidden, "forbidden", part.name+": shop_id is not this token's shop")
			return
		}
		if rf, ok := ev.(*event.Refund); ok {
			refund = rf
		}
		events = append(events, ev)
	}
	for _, ev := range events {
		if ev.Head().ShopID != refund.ShopID {
			writeError(w, http.StatusBadRequest, "bad_request", "shop_id: the order, return and refund must be of one shop")
			return
		}
	}
	if tok.Role == RoleViewer {
		writeError(w, http.StatusForbidden, "forbidden", "a viewer token cannot submit events")
		return
	}
	if err := in.Ingest(r.Context(), events); err != nil {
		s.unavailable(w, err)
		return
	}
	out, found, err := s.lookup.Assessment(r.Context(), refund.ShopID, refund.RefundID)
	if err == nil && !found {
		err = errors.New("no assessment after ingest")
	}
	if err != nil {
		s.unavailable(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
