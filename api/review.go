package api

// The staff workflow: the review queue, claims, deadlines, verdicts and
// reopening, as JSON endpoints and as Go methods the web UI calls with the
// same token rules.
//
//	GET  /v1/cases                          the queue (filters: shop_id, rule, decision, owner, overdue, status, limit)
//	GET  /v1/cases/{refund_id}              one case: decision, score, reasons in plain words with evidence links, audit log
//	POST /v1/cases/{refund_id}/claim        take the case (one owner at a time)
//	POST /v1/cases/{refund_id}/release      give it back (its owner; an admin: anyone's)
//	POST /v1/cases/{refund_id}/verdict      {"verdict": "fraud"|"legit", "note": "…"}: close it (its owner)
//	POST /v1/cases/{refund_id}/reopen       {"note": "…"}: withdraw the verdict, open it again
//	POST /v1/cases/{refund_id}/deadline     {"deadline": "RFC 3339"}: move the deadline of an open case
//
// Tokens: viewers read; reviewers also act, in their own shop; admins act in
// every shop (add ?shop_id= when a refund id exists in several shops). A case
// of another shop is 404, exactly like an unknown one.
//
// A verdict closes the case, is written to its audit log, counts for each
// rule of the assessment (precision, see /v1/rules), and has effects: for
// fraud the case's identifiers are confirmed as known offenders; either
// way a decision event with the reviewer's outcome goes to the decision
// topic (decision block for fraud, approve for legit; previous_decision the
// assessment's; a "review" object says who decided what, when and why).
// Effects are retried until done: by a retry of the same verdict, and by
// Review.Run for verdicts left pending (a failed publish).
//
// Reopening a fraud case withdraws the known-offender confirmations its
// refund made (the store marks the withdrawal pending in the reopen itself;
// Review.Run retries one left undone). After a confirmation and after a
// withdrawal the shop's open refunds linked to the case (same buyer,
// accounts linked by address or phone, same sender or waybill) are assessed
// again at once, at most ReviewConfig.ReassessCap of them; a withdrawal also
// reaches every refund, of any shop, that the withdrawn hashes flagged.
// Other shops' refunds that a confirmation matches pick it up on their next
// event.

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/review"
	"github.com/sellerguard/sellerguard/rules"
)

// ReviewStore keeps the workflow state (store.Redis implements it).
type ReviewStore interface {
	RefundShops(ctx context.Context, refundID string) ([]string, error)
	ReviewCases(ctx context.Context, shop string, limit int) ([]review.Row, error)
	ReviewRows(ctx context.Context, shop string, ids []string) ([]review.Row, error)
	OpenReviewCases(ctx context.Context, shop string, opens []review.Open) error
	ReviewShops(ctx context.Context) ([]string, error)
	ClaimReviewCase(ctx context.Context, shop, refundID, who string, at time.Time) (review.Step, error)
	ReleaseReviewCase(ctx context.Context, shop, refundID, who string, force bool, at time.Time) (review.Step, error)
	DecideReviewCase(ctx context.Context, shop, refundID, who, verdict, note string, at time.Time) (review.Step, error)
	ReopenReviewCase(ctx context.Context, shop, refundID, who, note string, at, deadline time.Time) (review.Step, error)
	SetReviewDeadline(ctx context.Context, shop, refundID, who string, deadline, at time.Time) (review.Step, error)
	ReviewEffectsDone(ctx context.Context, shop, refundID, verdict string, decidedAt time.Time) (bool, error)
	PendingReviewEffects(ctx context.Context, shop string) ([]string, error)
	PendingOffenderWithdrawals(ctx context.Context, shop string, before time.Time) ([]string, error)
	OffenderWithdrawalDone(ctx context.Context, shop, refundID string, upTo time.Time) (bool, error)
	ReviewAudit(ctx context.Context, shop, refundID string) ([]string, error)
	ReviewCounters(ctx context.Context, shop string, days []string) ([]map[string]int64, error)
	SearchRefunds(ctx context.Context, shop, q string) (map[string][]string, error)
	ParcelSources(ctx context.Context, shop, trackingNo string) (map[string]string, error)
}

// CaseLoader reads the facts around refunds (store.Redis's Load, as the
// detector uses it).
type CaseLoader interface {
	Load(ctx context.Context, refs []detector.Ref) ([]detector.Loaded, error)
}

// Reassessor assesses refunds again at once, saving and publishing what
// changed (*detector.Processor).
type Reassessor interface {
	Reassess(ctx context.Context, refs []detector.Ref) error
}

// DecisionPublisher writes to the decision topic and returns once the
// messages are acknowledged (ingest.Writer, as the detector's).
type DecisionPublisher interface {
	Publish(ctx context.Context, msgs []event.Raw) error
}

// Verdicts.
const (
	VerdictFraud = "fraud"
	VerdictLegit = "legit"
)

// Case statuses as the API shows them.
const (
	StatusOpen     = "open"
	StatusClosed   = "closed"
	StatusUnopened = "unopened" // in the queue, not yet seen by the workflow (opened on first read)
)

// Calendar places deadlines: a case is due by the end of the working day it
// entered review on; one entering after hours or on a day off is due by the
// end of the next working day.
type Calendar struct {
	Location *time.Location // default UTC+8
	DayEnd   time.Duration  // since midnight; default 18:00
	DaysOff  []time.Weekday // default Saturday and Sunday
}

// DefaultCalendar is Monday to Friday until 18:00, China time. Public
// holidays are not known: move such deadlines by hand (/deadline).
func DefaultCalendar() Calendar {
	return Calendar{Location: time.FixedZone("CST", 8*60*60), DayEnd: 18 * time.Hour, DaysOff: []time.Weekday{time.Saturday, time.Sunday}}
}

// Deadline is when a case entering review at t is due.
func (c Calendar) Deadline(t time.Time) time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	for range 14 {
		end := day.Add(c.DayEnd)
		if !slices.Contains(c.DaysOff, day.Weekday()) && lt.Before(end) {
			return end
		}
		day = day.AddDate(0, 0, 1)
	}
	return lt.Add(24 * time.Hour) // a calendar without working days
}

// ReviewConfig tunes the workflow.
type ReviewConfig struct {
	Calendar Calendar
	// QueueLimit bounds the cases read from one shop's queue (most urgent
	// first); default 5000.
	QueueLimit int
	// Shops are shops known beforehand (the tokens' shops are added); the
	// workflow also remembers every shop whose queue it has read.
	Shops []string
	Now   func() time.Time
	// Reassess assesses the refunds a known-offender confirmation or
	// withdrawal affects again; nil: they wait for their next event.
	Reassess Reassessor
	// ReassessCap bounds the refunds one confirmation or withdrawal assesses
	// again (the buyer's own first); default 200.
	ReassessCap int
}

// Review is the staff workflow service.
type Review struct {
	store ReviewStore
	cases CaseLoader
	book  OffenderBook
	pub   DecisionPublisher
	cfg   ReviewConfig
	log   *slog.Logger
	m     reviewMetrics

	effectsMu sync.Mutex // one effects run per case at a time in this process
}

// NewReview builds the workflow. book may be nil (no known-offender
// confirmation) and so may pub (no decision events); reg receives the
// sellerguard_review_* metrics.
func NewReview(st ReviewStore, cases CaseLoader, book OffenderBook, pub DecisionPublisher, cfg ReviewConfig,
	reg prometheus.Registerer, log *slog.Logger) *Review {
	if cfg.Calendar.DayEnd == 0 && cfg.Calendar.Location == nil {
		cfg.Calendar = DefaultCalendar()
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReassessCap <= 0 {
		cfg.ReassessCap = 200
	}
	return &Review{store: st, cases: cases, book: book, pub: pub, cfg: cfg, log: log, m: newReviewMetrics(reg)}
}

// Error is a refusal with its HTTP status and error code; the web UI shows
// its message.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func errNotFound(what string) error {
	return &Error{http.StatusNotFound, "not_found", what + " is unknown"}
}

func errForbidden(msg string) error { return &Error{http.StatusForbidden, "forbidden", msg} }

func errBadRequest(msg string) error { return &Error{http.StatusBadRequest, "bad_request", msg} }

func errConflict(code, msg string) error { return &Error{http.StatusConflict, code, msg} }

// errUnavailable wraps a store failure.
type errUnavailable struct{ err error }

func (e errUnavailable) Error() string { return "the review store is not reachable: " + e.err.Error() }
func (e errUnavailable) Unwrap() error { return e.err }

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return errUnavailable{err}
}

// writeServiceError answers with an *Error's status, or 503 for the rest.
func (s *Server) writeServiceError(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) {
		writeError(w, e.Status, e.Code, e.Message)
		return
	}
	s.log.Error("review request failed", "err", err)
	writeError(w, http.StatusServiceUnavailable, "unavailable", "the review store is not reachable")
}

// Actor names who holds a token in owners and audit logs: its name, or a
// short hash of the token when it has none.
func Actor(tok Token) string {
	if tok.Name != "" {
		return tok.Name
	}
	sum := sha256.Sum256([]byte(tok.Token))
	return "token-" + hex.EncodeToString(sum[:4])
}

// CanAct reports whether the token may change cases (reviewer or admin).
func CanAct(tok Token) bool { return tok.Role == RoleReviewer || tok.Role == RoleAdmin }

// Shops is every shop the workflow knows of: configured, the tokens', and
// those whose queue it has read.
func (rv *Review) Shops(ctx context.Context, tokens *Tokens) ([]string, error) {
	seen, err := rv.store.ReviewShops(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	all := append(slices.Clone(rv.cfg.Shops), seen...)
	if tokens != nil {
		for _, t := range tokens.byHash {
			if !t.AllShops() {
				all = append(all, t.Shop)
			}
		}
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// visibleShops is the shops a token may read, narrowed to shop when given.
func (rv *Review) visibleShops(ctx context.Context, tok Token, tokens *Tokens, shop string) ([]string, error) {
	switch {
	case !tok.AllShops() && shop != "" && shop != tok.Shop:
		return nil, nil // another shop looks empty
	case !tok.AllShops():
		return []string{tok.Shop}, nil
	case shop != "":
		return []string{shop}, nil
	}
	return rv.Shops(ctx, tokens)
}

// resolveShop finds which shop's refund a request means: the token's own
// shop, or for an admin shop_id, or the only shop that has the refund.
func (rv *Review) resolveShop(ctx context.Context, tok Token, shop, refundID string) (string, error) {
	if refundID == "" {
		return "", errNotFound("refund")
	}
	if !tok.AllShops() {
		if shop != "" && shop != tok.Shop {
			return "", errNotFound("refund " + refundID)
		}
		return tok.Shop, nil
	}
	if shop != "" {
		return shop, nil
	}
	shops, err := rv.store.RefundShops(ctx, refundID)
	if err != nil {
		return "", unavailable(err)
	}
	switch len(shops) {
	case 0:
		return "", errNotFound("refund " + refundID)
	case 1:
		return shops[0], nil
	}
	return "", errConflict("ambiguous_refund", "refund "+refundID+" exists in several shops ("+strings.Join(shops, ", ")+"); add ?shop_id=")
}

// CaseSummary is one case as the queue lists it.
type CaseSummary struct {
	ShopID         string    `json:"shop_id"`
	RefundID       string    `json:"refund_id"`
	OrderID        string    `json:"order_id,omitempty"`
	BuyerID        string    `json:"buyer_id,omitempty"`
	Decision       string    `json:"decision,omitempty"` // the current assessment's
	Score          int       `json:"score"`
	Rules          []string  `json:"rules"`
	AmountMinor    int64     `json:"amount_minor"`
	RefundKind     string    `json:"refund_kind,omitempty"`
	RefundReason   string    `json:"refund_reason,omitempty"`
	RequestedAt    time.Time `json:"requested_at,omitzero"`
	AssessedAt     time.Time `json:"assessed_at,omitzero"`
	Queued         bool      `json:"queued"`
	Status         string    `json:"status"`
	Owner          string    `json:"owner,omitempty"`
	ClaimedAt      time.Time `json:"claimed_at,omitzero"`
	OpenedAt       time.Time `json:"opened_at,omitzero"`
	Deadline       time.Time `json:"deadline,omitzero"`
	Overdue        bool      `json:"overdue"`
	AgeSeconds     int64     `json:"age_seconds"`
	Verdict        string    `json:"verdict,omitempty"`
	Note           string    `json:"note,omitempty"`
	DecidedBy      string    `json:"decided_by,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	Reopened       int       `json:"reopened,omitempty"`
	PendingEffects bool      `json:"pending_effects,omitempty"`
	queueScore     float64   // the queue's own order
	assessment     *rules.Assessment
	refund         *event.Refund
}

// summarize turns a stored row into what the API shows; ok is false for a
// refund the shop does not have.
func (rv *Review) summarize(shop string, row review.Row, now time.Time) (CaseSummary, bool) {
	c := CaseSummary{ShopID: shop, RefundID: row.RefundID, Queued: row.Queued, queueScore: row.QueueScore, Rules: []string{}}
	if row.Assessment == nil && row.Refund == nil {
		return c, false
	}
	if row.Assessment != nil {
		var a rules.Assessment
		if json.Unmarshal(row.Assessment, &a) == nil {
			c.assessment = &a
			c.Decision, c.Score, c.AssessedAt, c.OrderID, c.BuyerID = string(a.Decision), a.Score, a.AssessedAt, a.OrderID, a.BuyerID
			for _, r := range a.Reasons {
				c.Rules = append(c.Rules, r.Rule)
			}
			slices.Sort(c.Rules)
			c.Rules = slices.Compact(c.Rules)
		}
	}
	if row.Refund != nil {
		var r event.Refund
		if json.Unmarshal(row.Refund, &r) == nil {
			c.refund = &r
			c.AmountMinor, c.RequestedAt, c.RefundKind, c.RefundReason = r.AmountMinor, r.RequestedAt, r.RefundKind, r.Reason
			c.OrderID, c.BuyerID = cmp.Or(c.OrderID, r.OrderID), cmp.Or(c.BuyerID, r.BuyerID)
		}
	}
	st := row.State
	c.Status = st.Status
	if c.Status == "" {
		c.Status = StatusUnopened
	}
	c.Owner, c.ClaimedAt, c.OpenedAt, c.Deadline = st.Owner, st.ClaimedAt, st.OpenedAt, st.Deadline
	c.Verdict, c.Note, c.DecidedBy, c.DecidedAt = st.Verdict, st.Note, st.DecidedBy, st.DecidedAt
	c.Reopened, c.PendingEffects = st.Reopened, st.Pending
	if c.Status != StatusClosed && !c.OpenedAt.IsZero() {
		c.AgeSeconds = max(0, int64(now.Sub(c.OpenedAt)/time.Second))
		c.Overdue = c.Queued && !c.Deadline.IsZero() && now.After(c.Deadline)
	}
	return c, true
}

// opening is how a queued case is opened: when it entered review (its
// assessment's time, at the latest now) and its deadline.
func (rv *Review) opening(c CaseSummary, now time.Time) review.Open {
	opened := now
	if !c.AssessedAt.IsZero() && c.AssessedAt.Before(now) {
		opened = c.AssessedAt
	}
	return review.Open{RefundID: c.RefundID, OpenedAt: opened, Deadline: rv.cfg.Calendar.Deadline(opened), Rules: c.Rules}
}

// ensureOpen opens the queued cases among rows that were never opened and
// reads them again; rows changes in place.
func (rv *Review) ensureOpen(ctx context.Context, shop string, rows []review.Row) error {
	now := rv.cfg.Now()
	var opens []review.Open
	var idx []int
	for i, row := range rows {
		if row.Queued && row.State.Status == "" {
			c, ok := rv.summarize(shop, row, now)
			if !ok {
				continue
			}
			opens = append(opens, rv.opening(c, now))
			idx = append(idx, i)
		}
	}
	if len(opens) == 0 {
		return nil
	}
	if err := rv.store.OpenReviewCases(ctx, shop, opens); err != nil {
		return err
	}
	ids := make([]string, len(idx))
	for j, i := range idx {
		ids[j] = rows[i].RefundID
	}
	again, err := rv.store.ReviewRows(ctx, shop, ids)
	if err != nil {
		return err
	}
	for j, i := range idx {
		rows[i] = again[j]
	}
	return nil
}

// shopQueue reads one shop's queue, opening new cases.
func (rv *Review) shopQueue(ctx context.Context, shop string) ([]CaseSummary, error) {
	rows, err := rv.store.ReviewCases(ctx, shop, rv.cfg.QueueLimit)
	if err != nil {
		return nil, err
	}
	if err := rv.ensureOpen(ctx, shop, rows); err != nil {
		return nil, err
	}
	now := rv.cfg.Now()
	out := make([]CaseSummary, 0, len(rows))
	for _, row := range rows {
		if c, ok := rv.summarize(shop, row, now); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// CaseFilter narrows the queue. Empty fields do not filter.
type CaseFilter struct {
	Shop     string
	Rule     string
	Decision string // review or block
	Owner    string // a reviewer's name, "me", or "none" (unclaimed)
	Overdue  bool
	Status   string // open (default: open and unopened), closed, or all
	Limit    int    // default 100, at most 1000
}

// CaseList is one page of the queue.
type CaseList struct {
	Cases     []CaseSummary `json:"cases"`
	Total     int           `json:"total"`     // matching cases, before the limit
	Truncated bool          `json:"truncated"` // a shop's queue was longer than the workflow reads
}

// priority orders cases: blocked first, then by score, by amount, and the
// longest waiting first.
func priority(a, b CaseSummary) int {
	return cmp.Or(cmp.Compare(b.queueScore, a.queueScore), cmp.Compare(b.AmountMinor, a.AmountMinor),
		a.OpenedAt.Compare(b.OpenedAt), cmp.Compare(a.ShopID, b.ShopID), cmp.Compare(a.RefundID, b.RefundID))
}

// ParseCaseFilter reads a filter from query parameters.
func ParseCaseFilter(q map[string][]string) (CaseFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	f := CaseFilter{Shop: get("shop_id"), Rule: get("rule"), Decision: get("decision"), Owner: get("owner"), Status: get("status")}
	switch f.Decision {
	case "", string(rules.Review), string(rules.Block):
	default:
		return f, errBadRequest("decision: " + strconv.Quote(f.Decision) + " is not review or block")
	}
	switch f.Status {
	case "", StatusOpen, StatusClosed, "all":
	default:
		return f, errBadRequest("status: " + strconv.Quote(f.Status) + " is not open, closed or all")
	}
	switch v := get("overdue"); v {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		return f, errBadRequest("overdue: " + strconv.Quote(v) + " is not true or false")
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, errBadRequest("limit: must be a number from 1 to 1000")
		}
		f.Limit = n
	}
	return f, nil
}

// Cases lists the queue the token may see, by priority.
func (rv *Review) Cases(ctx context.Context, tok Token, tokens *Tokens, f CaseFilter) (CaseList, error) {
	shops, err := rv.visibleShops(ctx, tok, tokens, f.Shop)
	if err != nil {
		return CaseList{}, err
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	if f.Owner == "me" {
		f.Owner = Actor(tok)
	}
	out := CaseList{Cases: []CaseSummary{}}
	for _, shop := range shops {
		cs, err := rv.shopQueue(ctx, shop)
		if err != nil {
			return CaseList{}, unavailable(err)
		}
		out.Truncated = out.Truncated || len(cs) >= rv.cfg.QueueLimit
		for _, c := range cs {
			if f.match(c) {
				out.Cases = append(out.Cases, c)
			}
		}
	}
	slices.SortFunc(out.Cases, priority)
	out.Total = len(out.Cases)
	if len(out.Cases) > f.Limit {
		out.Cases = out.Cases[:f.Limit]
	}
	return out, nil
}

func (f CaseFilter) match(c CaseSummary) bool {
	switch f.Status {
	case "", StatusOpen:
		if c.Status == StatusClosed {
			return false
		}
	case StatusClosed:
		if c.Status != StatusClosed {
			return false
		}
	}
	switch {
	case f.Rule != "" && !slices.Contains(c.Rules, f.Rule),
		f.Decision != "" && c.Decision != f.Decision,
		f.Owner == "none" && c.Owner != "",
		f.Owner != "" && f.Owner != "none" && c.Owner != f.Owner,
		f.Overdue && !c.Overdue:
		return false
	}
	return true
}

// CaseDetail is one case with its reasons explained and its audit log.
type CaseDetail struct {
	CaseSummary
	RulesetVersion string `json:"ruleset_version,omitempty"`
	// What the refund workflow is told to do, and whether the shop enforces it.
	Action     string             `json:"action,omitempty"`
	Mode       string             `json:"mode,omitempty"`
	Enforced   bool               `json:"enforced,omitempty"`
	Guardrail  *rules.Guardrail   `json:"guardrail,omitempty"`
	Suppressed []rules.Suppressed `json:"suppressed,omitempty"`
	Reasons    []ExplainedReason  `json:"reasons"`
	Audit      []AuditEntry       `json:"audit"`
	// Actions the caller may take now: claim, release, verdict, reopen, deadline.
	Actions []string `json:"actions"`
}

// AuditEntry is one line of a case's audit log.
type AuditEntry struct {
	At       time.Time `json:"at"`
	By       string    `json:"by,omitempty"`
	Action   string    `json:"action"` // opened, claimed, released, verdict, reopened, deadline
	Verdict  string    `json:"verdict,omitempty"`
	Note     string    `json:"note,omitempty"`
	From     string    `json:"from,omitempty"` // whose claim an admin released
	Deadline time.Time `json:"deadline,omitzero"`
	Rules    string    `json:"rules,omitempty"`
	// OffendersWithdrawn is how many identifiers a reopened fraud verdict
	// had confirmed as known offenders: those confirmations are withdrawn.
	OffendersWithdrawn int `json:"offenders_withdrawn,omitempty"`
}

// row reads one case of a shop, opening it when it is queued and new; a
// refund the shop does not have is not found.
func (rv *Review) row(ctx context.Context, shop, refundID string) (CaseSummary, error) {
	rows, err := rv.store.ReviewRows(ctx, shop, []string{refundID})
	if err != nil {
		return CaseSummary{}, unavailable(err)
	}
	if err := rv.ensureOpen(ctx, shop, rows); err != nil {
		return CaseSummary{}, unavailable(err)
	}
	c, ok := rv.summarize(shop, rows[0], rv.cfg.Now())
	if !ok {
		return CaseSummary{}, errNotFound("refund " + refundID)
	}
	return c, nil
}

// Case reads one case for the token.
func (rv *Review) Case(ctx context.Context, tok Token, shop, refundID string) (CaseDetail, error) {
	shop, err := rv.resolveShop(ctx, tok, shop, refundID)
	if err != nil {
		return CaseDetail{}, err
	}
	c, err := rv.row(ctx, shop, refundID)
	if err != nil {
		return CaseDetail{}, err
	}
	return rv.detail(ctx, tok, c)
}

func (rv *Review) detail(ctx context.Context, tok Token, c CaseSummary) (CaseDetail, error) {
	d := CaseDetail{CaseSummary: c, Reasons: []ExplainedReason{}, Audit: []AuditEntry{}, Actions: []string{}}
	if a := c.assessment; a != nil {
		d.RulesetVersion, d.Action, d.Mode, d.Enforced, d.Guardrail, d.Suppressed = a.RulesetVersion, a.Action, a.Mode, a.Enforced, a.Guardrail, a.Suppressed
		for _, r := range a.Reasons {
			d.Reasons = append(d.Reasons, Explain(c.ShopID, c.RefundID, r))
		}
	}
	log, err := rv.store.ReviewAudit(ctx, c.ShopID, c.RefundID)
	if err != nil {
		return CaseDetail{}, unavailable(err)
	}
	for _, l := range log {
		var e AuditEntry
		if json.Unmarshal([]byte(l), &e) == nil {
			d.Audit = append(d.Audit, e)
		}
	}
	d.Actions = actions(tok, c)
	return d, nil
}

// actions are the steps a token may take on a case now.
func actions(tok Token, c CaseSummary) []string {
	out := []string{}
	if !CanAct(tok) {
		return out
	}
	me := Actor(tok)
	switch c.Status {
	case StatusOpen:
		switch {
		case c.Owner == "" && c.Queued:
			out = append(out, "claim")
		case c.Owner == me:
			out = append(out, "release", "verdict")
		case c.Owner != "" && tok.Role == RoleAdmin:
			out = append(out, "release")
		}
		out = append(out, "deadline")
	case StatusClosed:
		out = append(out, "reopen")
	}
	return out
}

// Claim gives the case to the token's holder.
func (rv *Review) Claim(ctx context.Context, tok Token, shop, refundID string) (CaseDetail, error) {
	return rv.act(ctx, tok, shop, refundID, func(shop string, c CaseSummary, now time.Time) (review.Step, error) {
		res, err := rv.store.ClaimReviewCase(ctx, shop, refundID, Actor(tok), now)
		if err != nil {
			return res, err
		}
		switch res.Outcome {
		case "ok", "already":
			return res, nil
		case "taken":
			return res, errConflict("case_taken", "case "+refundID+" is claimed by "+res.Detail)
		case "closed":
			return res, errConflict("case_closed", "case "+refundID+" is closed; reopen it first")
		case "not_queued":
			return res, errConflict("not_in_queue", "refund "+refundID+" is not in the review queue (its decision is "+c.Decision+")")
		}
		return res, fmt.Errorf("claim %s: unexpected outcome %q", refundID, res.Outcome)
	})
}

// Release gives the case back; an admin may release anyone's claim.
func (rv *Review) Release(ctx context.Context, tok Token, shop, refundID string) (CaseDetail, error) {
	return rv.act(ctx, tok, shop, refundID, func(shop string, _ CaseSummary, now time.Time) (review.Step, error) {
		res, err := rv.store.ReleaseReviewCase(ctx, shop, refundID, Actor(tok), tok.Role == RoleAdmin, now)
		if err != nil {
			return res, err
		}
		switch res.Outcome {
		case "ok":
			return res, nil
		case "unclaimed":
			return res, errConflict("not_claimed", "case "+refundID+" is not claimed")
		case "not_owner":
			return res, errConflict("not_owner", "case "+refundID+" is claimed by "+res.Detail)
		case "closed":
			return res, errConflict("case_closed", "case "+refundID+" is closed")
		}
		return res, fmt.Errorf("release %s: unexpected outcome %q", refundID, res.Outcome)
	})
}

// maxNote bounds notes (characters).
const maxNote = 2000

func checkNote(note string, required bool) (string, error) {
	note = strings.TrimSpace(note)
	switch {
	case required && note == "":
		return "", errBadRequest("note: required (why: what the evidence shows)")
	case !utf8.ValidString(note):
		return "", errBadRequest("note: not valid UTF-8")
	case utf8.RuneCountInString(note) > maxNote:
		return "", errBadRequest(fmt.Sprintf("note: over %d characters", maxNote))
	}
	return note, nil
}

// Decide closes the caller's case with a verdict and a note, then carries
// out its effects.
func (rv *Review) Decide(ctx context.Context, tok Token, shop, refundID, verdict, note string) (CaseDetail, error) {
	if verdict != VerdictFraud && verdict != VerdictLegit {
		return CaseDetail{}, errBadRequest("verdict: " + strconv.Quote(verdict) + " is not fraud or legit")
	}
	note, err := checkNote(note, true)
	if err != nil {
		return CaseDetail{}, err
	}
	var fresh bool
	var counted []string // the rules the verdict counted for
	d, err := rv.act(ctx, tok, shop, refundID, func(shop string, _ CaseSummary, now time.Time) (review.Step, error) {
		res, err := rv.store.DecideReviewCase(ctx, shop, refundID, Actor(tok), verdict, note, now)
		if err != nil {
			return res, err
		}
		switch res.Outcome {
		case "ok":
			fresh, counted = true, res.State.Rules
			return res, nil
		case "already":
			return res, nil
		case "closed":
			return res, errConflict("case_closed", "case "+refundID+" is closed already (verdict "+res.Detail+"); reopen it first")
		case "unclaimed":
			return res, errConflict("not_claimed", "claim case "+refundID+" before giving a verdict")
		case "not_owner":
			return res, errConflict("not_owner", "case "+refundID+" is claimed by "+res.Detail)
		}
		return res, fmt.Errorf("verdict %s: unexpected outcome %q", refundID, res.Outcome)
	})
	if err != nil {
		return d, err
	}
	if fresh {
		rv.m.verdicts.WithLabelValues(verdict).Inc()
		for _, rule := range counted {
			rv.m.ruleVerdicts.WithLabelValues(rule, verdict).Inc()
		}
		if !d.OpenedAt.IsZero() {
			rv.m.duration.Observe(d.DecidedAt.Sub(d.OpenedAt).Seconds())
		}
		rv.log.Info("review verdict", "shop", d.ShopID, "refund", refundID, "verdict", verdict, "by", Actor(tok), "role", tok.Role)
	}
	if d.PendingEffects {
		if err := rv.effects(ctx, d.ShopID, refundID); err != nil {
			rv.log.Error("review verdict effects failed; retried later", "shop", d.ShopID, "refund", refundID, "err", err)
		} else {
			d.PendingEffects = false
		}
	}
	return d, nil
}

// Reopen withdraws a closed case's verdict and opens it again with a new
// deadline.
func (rv *Review) Reopen(ctx context.Context, tok Token, shop, refundID, note string) (CaseDetail, error) {
	note, err := checkNote(note, false)
	if err != nil {
		return CaseDetail{}, err
	}
	var withdrawn string
	var before CaseSummary
	d, err := rv.act(ctx, tok, shop, refundID, func(shop string, c CaseSummary, now time.Time) (review.Step, error) {
		before = c
		res, err := rv.store.ReopenReviewCase(ctx, shop, refundID, Actor(tok), note, now, rv.cfg.Calendar.Deadline(now))
		if err != nil {
			return res, err
		}
		switch res.Outcome {
		case "ok":
			withdrawn = res.Detail
			return res, nil
		case "open":
			return res, errConflict("case_open", "case "+refundID+" is open")
		}
		return res, fmt.Errorf("reopen %s: unexpected outcome %q", refundID, res.Outcome)
	})
	if err != nil {
		return d, err
	}
	attrs := []any{"shop", d.ShopID, "refund", refundID, "withdrawn", withdrawn, "by", Actor(tok)}
	if withdrawn == VerdictFraud && rv.book != nil {
		n, err := rv.withdraw(ctx, d.ShopID, refundID)
		if err != nil {
			rv.log.Error("known offenders of a reopened case not withdrawn yet; retried later", "shop", d.ShopID, "refund", refundID, "err", err)
			attrs = append(attrs, "offenders_withdrawal", "pending")
		} else {
			attrs = append(attrs, "offenders_withdrawn", n)
		}
	}
	rv.log.Info("review case reopened", attrs...)
	// Tell the decision topic the reviewer's outcome no longer stands.
	if rv.pub != nil && before.assessment != nil && before.Verdict != "" {
		msg, err := reviewMessage(before.assessment, verdictDecision(before.Verdict), reviewInfo{Status: "reopened",
			Verdict: before.Verdict, Reviewer: Actor(tok), At: rv.cfg.Now().UTC(), Note: note})
		if err == nil {
			err = rv.pub.Publish(ctx, []event.Raw{msg})
		}
		if err != nil {
			rv.log.Error("review reopen not published", "shop", d.ShopID, "refund", refundID, "err", err)
		}
	}
	return d, nil
}

// SetDeadline moves an open case's deadline.
func (rv *Review) SetDeadline(ctx context.Context, tok Token, shop, refundID string, deadline time.Time) (CaseDetail, error) {
	if deadline.IsZero() {
		return CaseDetail{}, errBadRequest("deadline: required (RFC 3339)")
	}
	return rv.act(ctx, tok, shop, refundID, func(shop string, _ CaseSummary, now time.Time) (review.Step, error) {
		res, err := rv.store.SetReviewDeadline(ctx, shop, refundID, Actor(tok), deadline, now)
		if err != nil {
			return res, err
		}
		switch res.Outcome {
		case "ok":
			return res, nil
		case "closed":
			return res, errConflict("case_closed", "case "+refundID+" is closed")
		}
		return res, fmt.Errorf("deadline %s: unexpected outcome %q", refundID, res.Outcome)
	})
}

// act runs one step on a case the token may change, and reads the case
// again after it.
func (rv *Review) act(ctx context.Context, tok Token, shop, refundID string,
	step func(shop string, c CaseSummary, now time.Time) (review.Step, error)) (CaseDetail, error) {
	shop, err := rv.resolveShop(ctx, tok, shop, refundID)
	if err != nil {
		return CaseDetail{}, err
	}
	c, err := rv.row(ctx, shop, refundID)
	if err != nil {
		return CaseDetail{}, err
	}
	if !CanAct(tok) {
		return CaseDetail{}, errForbidden("changing cases needs a reviewer or admin token")
	}
	if c.Status == StatusUnopened {
		// Never in the queue (row opens queued cases): nothing to review.
		return CaseDetail{}, errConflict("not_in_queue", "refund "+refundID+" is not in the review queue (its decision is "+c.Decision+")")
	}
	res, err := step(shop, c, rv.cfg.Now().UTC().Truncate(time.Millisecond))
	if err != nil {
		return CaseDetail{}, unavailable(err)
	}
	if res.Outcome == "not_opened" {
		return CaseDetail{}, errConflict("not_in_queue", "refund "+refundID+" is not in the review queue (its decision is "+c.Decision+")")
	}
	after, err := rv.row(ctx, shop, refundID)
	if err != nil {
		return CaseDetail{}, err
	}
	return rv.detail(ctx, tok, after)
}

// verdictDecision is the decision a verdict stands for on the decision topic.
func verdictDecision(verdict string) rules.Decision {
	if verdict == VerdictFraud {
		return rules.Block
	}
	return rules.Approve
}

// reviewInfo is the "review" object of a decision event.
type reviewInfo struct {
	Status   string    `json:"status"` // closed, or reopened (the verdict no longer stands)
	Verdict  string    `json:"verdict"`
	Reviewer string    `json:"reviewer"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
}

// reviewMessage is a decision event carrying a reviewer's outcome: the
// stored assessment, decision replaced by the reviewer's (previous_decision
// what it replaced), no input events, and the review object.
func reviewMessage(a *rules.Assessment, previous rules.Decision, info reviewInfo) (event.Raw, error) {
	decision := a.Decision
	if info.Status == "closed" {
		decision, previous = verdictDecision(info.Verdict), a.Decision
	}
	out := struct {
		rules.Assessment
		PreviousDecision rules.Decision `json:"previous_decision,omitempty"`
		EventIDs         []string       `json:"event_ids"`
		Review           reviewInfo     `json:"review"`
	}{Assessment: *a, PreviousDecision: previous, EventIDs: []string{}, Review: info}
	out.Decision = decision
	body, err := json.Marshal(out)
	if err != nil {
		return event.Raw{}, err
	}
	return event.Raw{Key: []byte(a.RefundID), Value: body}, nil
}

// effects carries out a closed case's verdict: known offenders for fraud,
// then the decision event, then marks them done. Idempotent: each part may
// run again.
func (rv *Review) effects(ctx context.Context, shop, refundID string) error {
	rv.effectsMu.Lock()
	defer rv.effectsMu.Unlock()
	rows, err := rv.store.ReviewRows(ctx, shop, []string{refundID})
	if err != nil {
		return err
	}
	row := rows[0]
	st := row.State
	if st.Status != StatusClosed || !st.Pending {
		return nil
	}
	var affected []detector.Ref
	if st.Verdict == VerdictFraud && rv.book != nil {
		loaded, err := rv.cases.Load(ctx, []detector.Ref{{Shop: shop, RefundID: refundID}})
		if err != nil {
			return fmt.Errorf("load case: %w", err)
		}
		if len(loaded) == 1 && loaded[0].Found {
			if ids := offender.Identifiers(loaded[0].Case); len(ids) > 0 {
				if err := rv.book.Confirm(ctx, shop, refundID, ids, st.DecidedAt); err != nil {
					return fmt.Errorf("confirm offenders: %w", err)
				}
				affected = affectedRefunds(shop, loaded[0].Case)
				rv.log.Info("offenders confirmed by verdict", "shop", shop, "refund", refundID, "by", st.DecidedBy, "identifiers", len(ids),
					"linked_refunds", len(affected))
			}
		}
	}
	if rv.pub != nil && row.Assessment != nil {
		var a rules.Assessment
		if err := json.Unmarshal(row.Assessment, &a); err != nil {
			return fmt.Errorf("assessment: %w", err)
		}
		msg, err := reviewMessage(&a, a.Decision, reviewInfo{Status: "closed", Verdict: st.Verdict, Reviewer: st.DecidedBy, At: st.DecidedAt, Note: st.Note})
		if err != nil {
			return err
		}
		if err := rv.pub.Publish(ctx, []event.Raw{msg}); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	// After the publish: a failed re-assessment retries the effects, and a
	// second decision event is allowed (at least once), a missing one is not.
	if err := rv.reassess(ctx, causeConfirm, shop, refundID, affected); err != nil {
		return err
	}
	if _, err := rv.store.ReviewEffectsDone(ctx, shop, refundID, st.Verdict, st.DecidedAt); err != nil {
		return err
	}
	return nil
}

// Causes of a re-assessment after a known-offender change.
const (
	causeConfirm  = "confirm"
	causeWithdraw = "withdraw"
)

// withdraw carries out the withdrawal a reopened fraud verdict left pending:
// the refund's known-offender confirmations (the hashes the store recorded
// for it), then re-assessment of the refunds it affects, then marks it
// done. Idempotent; returns how many confirmations it withdrew now.
func (rv *Review) withdraw(ctx context.Context, shop, refundID string) (int, error) {
	rv.effectsMu.Lock() // not alongside this refund's own confirmation in this process
	defer rv.effectsMu.Unlock()
	loaded, err := rv.cases.Load(ctx, []detector.Ref{{Shop: shop, RefundID: refundID}})
	if err != nil {
		return 0, fmt.Errorf("load case: %w", err)
	}
	var affected []detector.Ref
	if len(loaded) == 1 && loaded[0].Found {
		affected = affectedRefunds(shop, loaded[0].Case)
	}
	w, err := rv.book.Withdraw(ctx, shop, refundID, time.Time{})
	if err != nil {
		return 0, fmt.Errorf("withdraw offenders: %w", err)
	}
	// First the refunds, of any shop, that the withdrawn hashes flagged.
	hits := make([]detector.Ref, 0, len(w.Hits)+len(affected))
	seen := map[detector.Ref]bool{{Shop: shop, RefundID: refundID}: true}
	for _, h := range w.Hits {
		if ref := (detector.Ref{Shop: h.Shop, RefundID: h.RefundID}); !seen[ref] {
			seen[ref] = true
			hits = append(hits, ref)
		}
	}
	for _, ref := range affected {
		if !seen[ref] {
			seen[ref] = true
			hits = append(hits, ref)
		}
	}
	affected = hits
	if err := rv.reassess(ctx, causeWithdraw, shop, refundID, affected); err != nil {
		return w.Withdrawn, err
	}
	if _, err := rv.store.OffenderWithdrawalDone(ctx, shop, refundID, w.UpTo); err != nil {
		return w.Withdrawn, fmt.Errorf("withdrawal done: %w", err)
	}
	return w.Withdrawn, nil
}

// reassess assesses refs again (after a known-offender change by a shop's
// refund), at most ReassessCap of them: the rest wait for their next event.
func (rv *Review) reassess(ctx context.Context, cause, shop, refundID string, refs []detector.Ref) error {
	if rv.cfg.Reassess == nil || len(refs) == 0 {
		return nil
	}
	if len(refs) > rv.cfg.ReassessCap {
		rv.log.Warn("known-offender change: too many linked refunds to assess again at once; the rest on their next event",
			"shop", shop, "refund", refundID, "cause", cause, "linked", len(refs), "cap", rv.cfg.ReassessCap)
		rv.m.reassessCapped.WithLabelValues(cause).Inc()
		refs = refs[:rv.cfg.ReassessCap]
	}
	if err := rv.cfg.Reassess.Reassess(ctx, refs); err != nil {
		return fmt.Errorf("re-assess %d linked refunds: %w", len(refs), err)
	}
	rv.m.reassessed.WithLabelValues(cause).Add(float64(len(refs)))
	return nil
}

// affectedRefunds are the shop's refunds whose known_offender a change of
// the case's confirmations may change: the buyer's own, those of the
// accounts linked by address or phone, of the same return waybill and of
// parcels from the same sender; the buyer's first. The case's own refund
// (its own confirmation never counts for it) and settled refunds are left
// out.
func affectedRefunds(shop string, c rules.Case) []detector.Ref {
	var buyer string
	seen := map[string]bool{}
	if c.Refund != nil {
		buyer, seen[c.Refund.RefundID] = c.Refund.BuyerID, true
	}
	var out []detector.Ref
	add := func(id, status string) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		if !settled(status) {
			out = append(out, detector.Ref{Shop: shop, RefundID: id})
		}
	}
	for _, b := range append([]string{buyer}, slices.Sorted(maps.Keys(c.History))...) { // the buyer's own first
		for _, r := range c.History[b] {
			add(r.RefundID, r.Status)
		}
	}
	for _, b := range slices.Sorted(maps.Keys(c.BuyerRefunds)) {
		for _, id := range c.BuyerRefunds[b] {
			add(id, "")
		}
	}
	for _, r := range c.WaybillRefunds {
		if r.Refund != nil {
			add(r.Refund.RefundID, r.Refund.Status)
		}
	}
	for _, l := range c.SenderLinks {
		add(l.RefundID, "")
	}
	return out
}

// settled refund statuses: nothing left to decide.
func settled(status string) bool {
	switch status {
	case "refunded", "rejected", "cancelled", "closed":
		return true
	}
	return false
}

// Sync opens new cases of every known shop, retries verdict effects and
// known-offender withdrawals left pending for over a minute, and updates the
// queue gauges.
func (rv *Review) Sync(ctx context.Context, tokens *Tokens) error {
	shops, err := rv.Shops(ctx, tokens)
	if err != nil {
		return err
	}
	now := rv.cfg.Now()
	type agg struct {
		cases   map[string]int
		oldest  float64
		overdue int
	}
	buckets := make([]agg, shopBuckets)
	for i := range buckets {
		buckets[i].cases = map[string]int{}
	}
	var errs []error
	for _, shop := range shops {
		cs, err := rv.shopQueue(ctx, shop)
		if err != nil {
			errs = append(errs, fmt.Errorf("shop %s: %w", shop, err))
			continue
		}
		b := &buckets[ShopBucket(shop)]
		for _, c := range cs {
			if c.Status == StatusClosed || !c.Queued {
				continue
			}
			b.cases[c.Decision]++
			b.oldest = max(b.oldest, float64(c.AgeSeconds))
			if c.Overdue {
				b.overdue++
			}
		}
		if err := rv.retryWithdrawals(ctx, shop, now); err != nil {
			errs = append(errs, err)
		}
		pending, err := rv.store.PendingReviewEffects(ctx, shop)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(pending) == 0 {
			continue
		}
		rows, err := rv.store.ReviewRows(ctx, shop, pending)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, row := range rows {
			if now.Sub(row.State.DecidedAt) < time.Minute {
				continue // its own request may still be carrying it out
			}
			if err := rv.effects(ctx, shop, row.RefundID); err != nil {
				errs = append(errs, fmt.Errorf("verdict effects of %s/%s: %w", shop, row.RefundID, err))
			}
		}
	}
	for i, b := range buckets {
		label := bucketLabel(i)
		for _, d := range []string{string(rules.Review), string(rules.Block)} {
			rv.m.queue.WithLabelValues(label, d).Set(float64(b.cases[d]))
		}
		rv.m.oldest.WithLabelValues(label).Set(b.oldest)
		rv.m.overdue.WithLabelValues(label).Set(float64(b.overdue))
	}
	return errors.Join(errs...)
}

// retryWithdrawals carries out the known-offender withdrawals of a shop's
// reopened cases left undone for over a minute.
func (rv *Review) retryWithdrawals(ctx context.Context, shop string, now time.Time) error {
	if rv.book == nil {
		return nil
	}
	ids, err := rv.store.PendingOffenderWithdrawals(ctx, shop, now.Add(-time.Minute)) // its own request may still be at it
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		n, err := rv.withdraw(ctx, shop, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("offender withdrawal of %s/%s: %w", shop, id, err))
			continue
		}
		rv.log.Info("known offenders of a reopened case withdrawn on retry", "shop", shop, "refund", id, "offenders_withdrawn", n)
	}
	return errors.Join(errs...)
}

// Run syncs every interval until ctx ends; errors are logged.
func (rv *Review) Run(ctx context.Context, tokens *Tokens, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := rv.Sync(ctx, tokens); err != nil && ctx.Err() == nil {
			rv.log.Warn("review sync incomplete", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// shopBuckets spreads shops over a bounded label: fnv32(shop) % 16.
const shopBuckets = 16

// ShopBucket is the metrics bucket of a shop.
func ShopBucket(shop string) int {
	h := fnv.New32()
	_, _ = h.Write([]byte(shop))
	return int(h.Sum32() % shopBuckets)
}

func bucketLabel(i int) string { return fmt.Sprintf("%02d", i) }

type reviewMetrics struct {
	queue        *prometheus.GaugeVec
	oldest       *prometheus.GaugeVec
	overdue      *prometheus.GaugeVec
	verdicts     *prometheus.CounterVec
	ruleVerdicts *prometheus.CounterVec
	duration     prometheus.Histogram
	// refunds assessed again after a known-offender change, and changes
	// that linked more than the cap
	reassessed     *prometheus.CounterVec
	reassessCapped *prometheus.CounterVec
}

func newReviewMetrics(reg prometheus.Registerer) reviewMetrics {
	m := reviewMetrics{
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sellerguard_review_queue_cases",
			Help: "Open cases in the review queues (no verdict yet), by shop bucket (fnv32(shop) % 16) and decision.",
		}, []string{"shop_bucket", "decision"}),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sellerguard_review_oldest_case_age_seconds",
			Help: "Age of the oldest open review case (since it entered review), by shop bucket.",
		}, []string{"shop_bucket"}),
		overdue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sellerguard_review_overdue_cases",
			Help: "Open review cases past their deadline, by shop bucket.",
		}, []string{"shop_bucket"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_review_verdicts_total", Help: "Review verdicts given, by verdict (fraud, legit).",
		}, []string{"verdict"}),
		ruleVerdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_review_rule_verdicts_total",
			Help: "Review verdicts by rule of the case's assessment and verdict: precision per rule is fraud / (fraud + legit).",
		}, []string{"rule", "verdict"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sellerguard_review_verdict_duration_seconds",
			Help:    "Time from a case entering review to its verdict.",
			Buckets: []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600},
		}),
		reassessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_review_offender_reassessed_total",
			Help: "Linked refunds assessed again because a fraud verdict confirmed known offenders (cause=confirm) or its reopen withdrew them (cause=withdraw).",
		}, []string{"cause"}),
		reassessCapped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_review_offender_reassess_capped_total",
			Help: "Known-offender confirmations or withdrawals that linked more refunds than are assessed again at once; the rest wait for their next event.",
		}, []string{"cause"}),
	}
	for i := range shopBuckets {
		l := bucketLabel(i)
		m.queue.WithLabelValues(l, string(rules.Review))
		m.queue.WithLabelValues(l, string(rules.Block))
		m.oldest.WithLabelValues(l)
		m.overdue.WithLabelValues(l)
	}
	for _, v := range []string{VerdictFraud, VerdictLegit} {
		m.verdicts.WithLabelValues(v)
		for _, r := range rules.Codes {
			m.ruleVerdicts.WithLabelValues(r, v)
		}
	}
	for _, c := range []string{causeConfirm, causeWithdraw} {
		m.reassessed.WithLabelValues(c)
		m.reassessCapped.WithLabelValues(c)
	}
	reg.MustRegister(m.queue, m.oldest, m.overdue, m.verdicts, m.ruleVerdicts, m.duration, m.reassessed, m.reassessCapped)
	return m
}

// --- HTTP -------------------------------------------------------------------

// HandleReview serves the workflow's JSON endpoints (the queue, cases,
// search, buyers, rule precision, evidence packs) through rv.
func (s *Server) HandleReview(rv *Review) {
	s.route("GET /v1/cases", "/v1/cases", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		f, err := ParseCaseFilter(r.URL.Query())
		if err != nil {
			s.writeServiceError(w, err)
			return
		}
		list, err := rv.Cases(r.Context(), tok, s.tokens, f)
		s.answer(w, http.StatusOK, list, err)
	}))
	s.route("GET /v1/cases/{refund_id}", "/v1/cases/{refund_id}", s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
		d, err := rv.Case(r.Context(), tok, r.URL.Query().Get("shop_id"), r.PathValue("refund_id"))
		s.answer(w, http.StatusOK, d, err)
	}))
	step := func(pattern string, do func(w http.ResponseWriter, r *http.Request, tok Token, shop, id string) (CaseDetail, error)) {
		s.route(pattern, strings.TrimPrefix(pattern, "POST "), s.authed(func(w http.ResponseWriter, r *http.Request, tok Token) {
			d, err := do(w, r, tok, r.URL.Query().Get("shop_id"), r.PathValue("refund_id"))
			s.answer(w, http.StatusOK, d, err)
		}))
	}
	step("POST /v1/cases/{refund_id}/claim", func(w http.ResponseWriter, r *http.Request, tok Token, shop, id string) (CaseDetail, error) {
		return rv.Claim(r.Context(), tok, shop, id)
	})
	step("POST /v1/cases/{refund_id}/release", func(w http.ResponseWriter, r *http.Request, tok Token, shop, id string) (CaseDetail, error) {
		return rv.Release(r.Context(), tok, shop, id)
	})
	step("POST /v1/cases/{refund_id}/verdict", func(w http.ResponseWriter, r *http.Request, tok Token, shop, id string) (CaseDetail, error) {
		var req struct {
			Verdict string `json:"verdict"`
			Note    string `json:"note"`
		}
		if err := decodeStrict(w, r, maxStepBody, &req); err != nil {
			return CaseDetail{}, errBadRequest(err.Error())
		}
		return rv.Decide(r.Context(), tok, shop, id, req.Verdict, req.Note)
	})
	step("POST /v1/cases/{refund_id}/reopen", func(w http.ResponseWriter, r *http.Request, tok Token, shop, id string) (CaseDetail, error) {
		var req struct {
			Note string `json:"note"`
		}
		if r.ContentLength != 0 {
			if err := decodeStrict(w, r, maxStepBody, &req); err != nil {
				return CaseDetail{}, errBadRequest(err.Error())
			}
		}
		return rv.Reopen(r.Context(), tok, shop, id, req.Note)
	})
	step("POST /v1/cases/{refund_id}/deadline", func(w http.ResponseWriter, r *http.Request, tok Token, shop, id string) (CaseDetail, error) {
		var req struct {
			Deadline time.Time `json:"deadline"`
		}
		if err := decodeStrict(w, r, maxStepBody, &req); err != nil {
			return CaseDetail{}, errBadRequest(err.Error())
		}
		return rv.SetDeadline(r.Context(), tok, shop, id, req.Deadline)
	})
	s.handleSearch(rv)
	s.handleEvidence(rv)
}

// maxStepBody bounds the body of a workflow step.
const maxStepBody = 16 << 10

// answer writes v, or the error.
func (s *Server) answer(w http.ResponseWriter, code int, v any, err error) {
	if err != nil {
		s.writeServiceError(w, err)
		return
	}
	writeJSON(w, code, v)
}

// HandleWeb mounts the staff UI (package web) under /ui/ and sends / there.
func (s *Server) HandleWeb(ui http.Handler) {
	s.route("/ui/", "/ui", ui.ServeHTTP)
	s.route("GET /{$}", "/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
	})
}
