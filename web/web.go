// Package web is the after-sales staff's UI: server-rendered pages
// (html/template, embedded) with htmx for in-place steps, Chinese by default
// with an English switch on every page. No front-end build: the templates,
// the stylesheet and htmx (vendored from npm htmx.org@2.0.11) are embedded.
//
// Every page is backed by the same api.Review methods as the /v1/ JSON
// endpoints, under the same token rules: a token is given once on the login
// page and kept in an HttpOnly, SameSite=Strict cookie (or sent as a bearer
// header). Pages live under /ui/:
//
//	/ui/search?q=                 check a refund: decision, score, reasons, evidence links
//	/ui/queue                     the review queue with its filters
//	/ui/cases/{refund_id}         one case: claim, release, verdict, reopen, mark safe (allow.go)
//	/ui/cases/{refund_id}/evidence[.json]   the evidence pack, printable, and as JSON
//	/ui/buyers/{buyer_id}         an account: orders, refunds, flags, verdicts, linked accounts
//	/ui/rules                     hits and precision per rule over 7 and 30 days
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/rules"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

const (
	tokenCookie = "sg_token"
	langCookie  = "sg_lang"
)

// Handler serves the UI.
type Handler struct {
	rv     *api.Review
	tokens *api.Tokens
	log    *slog.Logger
	pages  map[string]*template.Template
	mux    *http.ServeMux
	allow  Allowlist  // nil: no "mark safe" form
	reas   Reassessor // with allow
	// Secure marks cookies Secure (set it when served over HTTPS).
	Secure bool
}

// Option configures the UI.
type Option func(*Handler)

// New builds the UI over the workflow service.
func New(rv *api.Review, tokens *api.Tokens, log *slog.Logger, opts ...Option) (*Handler, error) {
	h := &Handler{rv: rv, tokens: tokens, log: log, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "parts" {
			continue
		}
		files := []string{"templates/layout.html", "templates/parts.html", n}
		if base == "evidence" {
			files = []string{"templates/parts.html", n} // self-contained: no layout, no script
		}
		t, err := template.New(base).Funcs(funcs("zh")).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		h.pages[base] = t
	}
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	h.mux.HandleFunc("GET /ui/login", h.loginPage)
	h.mux.HandleFunc("POST /ui/login", h.login)
	h.mux.HandleFunc("POST /ui/logout", h.logout)
	h.mux.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/queue", http.StatusSeeOther) })
	h.mux.HandleFunc("GET /ui/search", h.authed(h.search))
	h.mux.HandleFunc("GET /ui/queue", h.authed(h.queue))
	h.mux.HandleFunc("GET /ui/rules", h.authed(h.rules))
	h.mux.HandleFunc("GET /ui/buyers/{buyer_id}", h.authed(h.buyer))
	h.mux.HandleFunc("GET /ui/cases/{refund_id}", h.authed(h.casePage))
	h.mux.HandleFunc("GET /ui/cases/{refund_id}/evidence", h.authed(h.evidence))
	h.mux.HandleFunc("GET /ui/cases/{refund_id}/evidence.json", h.authed(h.evidenceJSON))
	h.mux.HandleFunc("POST /ui/cases/{refund_id}/{step}", h.authed(h.step))
	h.mux.HandleFunc("POST /ui/cases/{refund_id}/allow", h.authed(h.markSafe))
	h.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, page{Lang: lang(r)}, &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such page: " + r.URL.Path})
	})
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Frame-Options", "DENY")
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/ui/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: h.Secure})
	}
	h.mux.ServeHTTP(w, r)
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// lang is the page language: ?lang= (remembered in a cookie), the cookie,
// or Chinese.
func lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "zh") {
		return c.Value
	}
	return "zh"
}

// page is what every template gets.
type page struct {
	Lang   string
	Title  string
	Who    string
	Role   string
	Shop   string // the token's shop; "" for admins
	Admin  bool
	CanAct bool
	LangZH string // this page in Chinese
	LangEN string // this page in English
	Path   string
	Data   any
	Error  string
	Status int
}

func (h *Handler) newPage(r *http.Request, tok *api.Token, title string, data any) page {
	p := page{Lang: lang(r), Title: title, Data: data, Path: r.URL.Path}
	if tok != nil {
		p.Who, p.Role, p.Admin, p.CanAct = api.Actor(*tok), tok.Role, tok.AllShops(), api.CanAct(*tok)
		if !tok.AllShops() {
			p.Shop = tok.Shop
		}
	}
	for _, l := range []string{"zh", "en"} {
		u := *r.URL
		q := u.Query()
		q.Set("lang", l)
		u.RawQuery = q.Encode()
		if l == "zh" {
			p.LangZH = u.RequestURI()
		} else {
			p.LangEN = u.RequestURI()
		}
	}
	return p
}

// token finds the caller's token: the cookie, or a bearer header.
func (h *Handler) token(r *http.Request) (api.Token, bool) {
	if tok, ok := h.tokens.FromRequest(r); ok {
		return tok, true
	}
	c, err := r.Cookie(tokenCookie)
	if err != nil || c.Value == "" {
		return api.Token{}, false
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+c.Value)
	return h.tokens.FromRequest(r2)
}

// authed sends visitors without a token to the login page and refuses
// cross-site form posts.
func (h *Handler) authed(fn func(http.ResponseWriter, *http.Request, api.Token)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := h.token(r)
		if !ok {
			if r.Method != http.MethodGet {
				h.fail(w, r, page{Lang: lang(r)}, &api.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "log in first"})
				return
			}
			http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !sameOrigin(r) {
			h.fail(w, r, h.newPage(r, &tok, "", nil), &api.Error{Status: http.StatusForbidden, Code: "forbidden", Message: "cross-site request refused"})
			return
		}
		fn(w, r, tok)
	}
}

// sameOrigin accepts posts whose Origin (or, lacking it, Referer) is this
// host; browsers send one of them on every form post and htmx request.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return r.Header.Get("Authorization") != "" // an API client, not a browser
	}
	u, err := url.Parse(src)
	return err == nil && u.Host == r.Host
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	t, ok := h.pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	t, err := t.Clone()
	if err == nil {
		t = t.Funcs(funcs(p.Lang))
		var buf bytes.Buffer
		root := "layout"
		if name == "evidence" {
			root = "evidence"
		}
		if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") != "" && t.Lookup("fragment") != nil && r.Header.Get("HX-Boosted") == "" {
			root = "fragment"
		}
		if err = t.ExecuteTemplate(&buf, root, p); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Language", map[string]string{"zh": "zh-CN", "en": "en"}[p.Lang])
			w.WriteHeader(status)
			_, _ = buf.WriteTo(w)
			return
		}
	}
	h.log.Error("web: render failed", "page", name, "err", err)
	http.Error(w, "render failed", http.StatusInternalServerError)
}

// fail shows an error page (or, to htmx, an error fragment) with the
// refusal's status; store failures are 503.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p page, err error) {
	var e *api.Error
	if !errors.As(err, &e) {
		h.log.Error("web: request failed", "path", r.URL.Path, "err", err)
		e = &api.Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the review store is not reachable"}
	}
	p.Title, p.Error, p.Status = tr(p.Lang, "error.title"), e.Message, e.Status
	if r.Header.Get("HX-Request") == "true" {
		// htmx swaps only 2xx answers by default: show the refusal in place.
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `<div class="flash error" role="alert" data-status="%d" data-code="%s">%s</div>`, e.Status, template.HTMLEscapeString(e.Code), template.HTMLEscapeString(e.Message))
		return
	}
	h.render(w, r, "error", e.Status, p)
}

// --- login ------------------------------------------------------------------

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(r, nil, tr(lang(r), "login.title"), map[string]string{"Next": safeNext(r.URL.Query().Get("next"))})
	h.render(w, r, "login", http.StatusOK, p)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		h.fail(w, r, page{Lang: lang(r)}, &api.Error{Status: http.StatusForbidden, Code: "forbidden", Message: "cross-site request refused"})
		return
	}
	raw := strings.TrimSpace(r.PostFormValue("token"))
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+raw)
	next := safeNext(r.PostFormValue("next"))
	if _, ok := h.tokens.FromRequest(r2); !ok || raw == "" {
		p := h.newPage(r, nil, tr(lang(r), "login.title"), map[string]string{"Next": next})
		p.Error = tr(p.Lang, "login.bad")
		h.render(w, r, "login", http.StatusUnauthorized, p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: raw, Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: h.Secure, MaxAge: 12 * 3600})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: "", Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// safeNext keeps redirects inside the UI.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/ui/queue"
}

// --- pages ------------------------------------------------------------------

type searchData struct {
	Query string
	Hits  []api.SearchHit
	Top   *api.CaseDetail
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request, tok api.Token) {
	q := r.URL.Query().Get("q")
	d := searchData{Query: q}
	p := h.newPage(r, &tok, tr(lang(r), "search.title"), &d)
	if strings.TrimSpace(q) != "" {
		res, err := h.rv.Search(r.Context(), tok, h.tokens, r.URL.Query().Get("shop_id"), q)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		d.Hits = res.Hits
		if len(res.Hits) > 0 {
			top, err := h.rv.Case(r.Context(), tok, res.Hits[0].ShopID, res.Hits[0].RefundID)
			if err != nil {
				h.fail(w, r, p, err)
				return
			}
			d.Top = &top
		}
	}
	h.render(w, r, "search", http.StatusOK, p)
}

type queueData struct {
	Filter api.CaseFilter
	List   api.CaseList
	Shops  []string
	Rules  []string
}

func (h *Handler) queue(w http.ResponseWriter, r *http.Request, tok api.Token) {
	p := h.newPage(r, &tok, tr(lang(r), "queue.title"), nil)
	f, err := api.ParseCaseFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	list, err := h.rv.Cases(r.Context(), tok, h.tokens, f)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	d := &queueData{Filter: f, List: list, Rules: slices.Clone(rules.Codes)}
	if d.Shops, err = h.shopChoice(r, tok); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = d
	h.render(w, r, "queue", http.StatusOK, p)
}

func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, tok api.Token) {
	p := h.newPage(r, &tok, tr(lang(r), "case.title")+" "+r.PathValue("refund_id"), nil)
	d, err := h.rv.Case(r.Context(), tok, r.URL.Query().Get("shop_id"), r.PathValue("refund_id"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	cd := &caseData{CaseDetail: &d}
	if cd.Allow, err = h.allowView(r.Context(), tok, &d); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = cd
	h.render(w, r, "case", http.StatusOK, p)
}

// step runs one workflow step from a form; htmx gets the case panel back,
// a plain form post is sent back to the case page.
func (h *Handler) step(w http.ResponseWriter, r *http.Request, tok api.Token) {
	id, shop := r.PathValue("refund_id"), r.URL.Query().Get("shop_id")
	if shop == "" {
		shop = r.PostFormValue("shop_id")
	}
	p := h.newPage(r, &tok, tr(lang(r), "case.title")+" "+id, nil)
	var d api.CaseDetail
	var err error
	ctx := r.Context()
	switch r.PathValue("step") {
	case "claim":
		d, err = h.rv.Claim(ctx, tok, shop, id)
	case "release":
		d, err = h.rv.Release(ctx, tok, shop, id)
	case "verdict":
		d, err = h.rv.Decide(ctx, tok, shop, id, r.PostFormValue("verdict"), r.PostFormValue("note"))
	case "reopen":
		d, err = h.rv.Reopen(ctx, tok, shop, id, r.PostFormValue("note"))
	default:
		err = &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such step"}
	}
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, caseURL(d.ShopID, d.RefundID), http.StatusSeeOther)
		return
	}
	cd := &caseData{CaseDetail: &d}
	if cd.Allow, err = h.allowView(r.Context(), tok, &d); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = cd
	h.render(w, r, "case", http.StatusOK, p)
}

func (h *Handler) buyer(w http.ResponseWriter, r *http.Request, tok api.Token) {
	p := h.newPage(r, &tok, tr(lang(r), "buyer.title")+" "+r.PathValue("buyer_id"), nil)
	v, err := h.rv.Buyer(r.Context(), tok, h.tokens, r.URL.Query().Get("shop_id"), r.PathValue("buyer_id"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = &v
	h.render(w, r, "buyer", http.StatusOK, p)
}

type rulesData struct {
	Stats api.RuleStats
	Shops []string
	Shop  string
}

func (h *Handler) rules(w http.ResponseWriter, r *http.Request, tok api.Token) {
	p := h.newPage(r, &tok, tr(lang(r), "rules.title"), nil)
	shop := r.URL.Query().Get("shop_id")
	st, err := h.rv.RuleStats(r.Context(), tok, h.tokens, shop)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	d := &rulesData{Stats: st, Shop: shop}
	if d.Shops, err = h.shopChoice(r, tok); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = d
	h.render(w, r, "rules", http.StatusOK, p)
}

func (h *Handler) evidence(w http.ResponseWriter, r *http.Request, tok api.Token) {
	p := h.newPage(r, &tok, tr(lang(r), "pack.title")+" "+r.PathValue("refund_id"), nil)
	pack, err := h.rv.Evidence(r.Context(), tok, r.URL.Query().Get("shop_id"), r.PathValue("refund_id"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = &pack
	h.render(w, r, "evidence", http.StatusOK, p)
}

func (h *Handler) evidenceJSON(w http.ResponseWriter, r *http.Request, tok api.Token) {
	pack, err := h.rv.Evidence(r.Context(), tok, r.URL.Query().Get("shop_id"), r.PathValue("refund_id"))
	if err != nil {
		h.fail(w, r, h.newPage(r, &tok, "", nil), err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-`+fileName(pack.ShopID)+"-"+fileName(pack.RefundID)+`.json"`)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(pack)
}

func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// shopChoice is the shops an admin token can pick from; a shop token has none.
func (h *Handler) shopChoice(r *http.Request, tok api.Token) ([]string, error) {
	if !tok.AllShops() {
		return nil, nil
	}
	return h.rv.Shops(r.Context(), h.tokens)
}
