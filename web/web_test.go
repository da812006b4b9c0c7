package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/browsertest"
	"github.com/sellerguard/sellerguard/detector"
	"github.com/sellerguard/sellerguard/offender"
	"github.com/sellerguard/sellerguard/web"
)

const (
	tokAdmin    = "web-admin-token-000000"
	tokAnn      = "web-ann-shop-1-token-0"
	tokBob      = "web-bob-shop-1-token-0"
	tokViewer   = "web-viewer-shop-1-tok0"
	tokOtherRev = "web-cat-shop-2-token-0"
)

// site is the daemon's HTTP side over the world: API, workflow and UI.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	ts, _ := siteWorld(t)
	return ts
}

// siteWorld is site, with its world.
func siteWorld(t *testing.T) (*httptest.Server, *browsertest.World) {
	t.Helper()
	w := browsertest.NewWorld(t, time.Now())
	tokens, err := api.NewTokens([]api.Token{
		{Token: tokAdmin, Shop: "*", Role: api.RoleAdmin, Name: "ops"},
		{Token: tokAnn, Shop: "shop-1", Role: api.RoleReviewer, Name: "ann"},
		{Token: tokBob, Shop: "shop-1", Role: api.RoleReviewer, Name: "bob"},
		{Token: tokViewer, Shop: "shop-1", Role: api.RoleViewer, Name: "vic"},
		{Token: tokOtherRev, Shop: "shop-2", Role: api.RoleReviewer, Name: "cat"},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := api.New(w.Store, tokens, nil, reg, reg, log)
	rv := api.NewReview(w.Store, w.Store, nil, nil, api.ReviewConfig{}, reg, log)
	srv.HandleReview(rv)
	srv.HandleAllowances(w.Store, func(ctx context.Context, shop, refundID string) error {
		return w.Processor.Reassess(ctx, []detector.Ref{{Shop: shop, RefundID: refundID}})
	})
	ui, err := web.New(rv, tokens, log, web.WithAllowlist(w.Store, w.Processor))
	if err != nil {
		t.Fatal(err)
	}
	srv.HandleWeb(ui)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, w
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, ts *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: ts.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) (int, http.Header, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
}

func (b *browser) get(path string) (int, string) {
	code, _, body := b.do("GET", path, nil, nil)
	return code, body
}

func (b *browser) login(token string) {
	b.t.Helper()
	code, h, body := b.do("POST", "/ui/login", url.Values{"token": {token}, "next": {"/ui/queue"}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/queue" {
		b.t.Fatalf("login: %d %s %s", code, h, body)
	}
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func TestLoginAndLanguage(t *testing.T) {
	ts := site(t)
	b := newBrowser(t, ts)
	code, h, _ := b.do("GET", "/ui/queue?rule=tracking_reused", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/login?next=%2Fui%2Fqueue%3Frule%3Dtracking_reused" {
		t.Fatalf("anonymous: %d %s", code, h.Get("Location"))
	}
	code, body := b.get("/ui/login")
	mustContain(t, "login page", body, "登录 SellerGuard", `id="lang-en"`, `name="token"`)
	code, _, body = b.do("POST", "/ui/login", url.Values{"token": {"wrong-token-wrong-token"}}, nil)
	if code != http.StatusUnauthorized || !strings.Contains(body, "令牌无效") {
		t.Fatalf("bad token: %d", code)
	}
	// A login form posted from another site is refused.
	code, _, _ = b.do("POST", "/ui/login", url.Values{"token": {tokAnn}}, map[string]string{"Origin": "https://evil.example"})
	if code != http.StatusForbidden {
		t.Fatalf("cross-site login: %d", code)
	}
	b.login(tokAnn)
	code, body = b.get("/ui/queue")
	if code != 200 {
		t.Fatalf("queue: %d", code)
	}
	mustContain(t, "zh queue", body, `lang="zh-CN"`, "审核队列", "拦截", "退货单号重复使用", "ann · 审核员 · shop-1", `data-refund="R1002"`)
	// The switch: every page links to itself in the other language.
	mustContain(t, "zh queue", body, `href="/ui/queue?lang=en"`)
	code, body = b.get("/ui/queue?lang=en")
	mustContain(t, "en queue", body, `lang="en"`, "Review queue", "block", "Return waybill reused", `href="/ui/queue?lang=zh"`)
	// ... and the choice is remembered.
	_, body = b.get("/ui/rules")
	mustContain(t, "en rules", body, "How the rules do", "Precision")
	_, body = b.get("/ui/rules?lang=zh")
	mustContain(t, "zh rules", body, "规则效果", "精确率")
	// Logout forgets the token.
	b.do("POST", "/ui/logout", url.Values{}, nil)
	if code, _ := b.get("/ui/queue"); code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", code)
	}
	// Open redirects are not followed.
	code, h, _ = b.do("POST", "/ui/login", url.Values{"token": {tokAnn}, "next": {"//evil.example/x"}}, nil)
	if h.Get("Location") != "/ui/queue" {
		t.Fatalf("next: %s", h.Get("Location"))
	}
	// / goes to the UI.
	code, h, _ = b.do("GET", "/", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/" {
		t.Fatalf("/: %d %s", code, h.Get("Location"))
	}
}

func TestPagesRender(t *testing.T) {
	ts := site(t)
	b := newBrowser(t, ts)
	b.login(tokAnn)
	for _, tc := range []struct {
		path  string
		wants []string
	}{
		{"/ui/search?q=R1002", []string{`id="hit-detail"`, "已用于退款 R1001", `href="/ui/cases/R1001?shop_id=shop-1"`, `href="/ui/buyers/tb_alice?shop_id=shop-1"`, "退款单号"}},
		{"/ui/search?q=" + url.QueryEscape("yt 7512345678901"), []string{`data-refund="R1001"`, `data-refund="R1002"`, "退货运单号"}},
		{"/ui/search?q=nothing", []string{`id="no-hits"`}},
		{"/ui/cases/R1004?shop_id=shop-1", []string{"勒索消息", `<mark>12315</mark>`, `<mark>赔我</mark>`, `id="claim"`, "证据材料"}},
		{"/ui/cases/R1005", []string{"该退款不在审核队列中", "没有风险原因"}},
		{"/ui/buyers/tb_alice", []string{"tb_alice_2", "同一收货地址", "同一收货电话", "T1006", `data-refund="R1001"`}},
		{"/ui/rules", []string{`data-rule="tracking_reused"`, "近 7 天", "近 30 天"}},
		{"/ui/cases/R1002/evidence", []string{"退款证据材料", "该运单号的使用记录", "R1001", "数据来源", "window.print()"}},
		{"/ui/cases/R1003/evidence?lang=en", []string{"Refund evidence pack", "measured 1264 g", "the returned items weigh 4440 g", "Timeline"}},
		{"/ui/cases/R1004/evidence", []string{browsertest.ExtortionText}},
		// English is remembered from here on.
		{"/ui/search?q=R1003&lang=en", []string{"Measured weight (g)", "<td>1264</td>", "Expected weight (g)", "<td>4440</td>"}},
	} {
		code, body := b.get(tc.path)
		if code != 200 {
			t.Errorf("%s: %d", tc.path, code)
			continue
		}
		mustContain(t, tc.path, body, tc.wants...)
	}
	// The evidence pack is self-contained: no script, no stylesheet link.
	_, body := b.get("/ui/cases/R1002/evidence")
	if strings.Contains(body, "<script") || strings.Contains(body, `rel="stylesheet"`) {
		t.Error("evidence pack loads other files")
	}
	code, h, body := b.do("GET", "/ui/cases/R1002/evidence.json", nil, nil)
	if code != 200 || h.Get("Content-Type") != "application/json" || !strings.Contains(body, `"waybill_refunds"`) {
		t.Fatalf("evidence json: %d %s", code, h)
	}
	if code, body := b.get("/ui/cases/R9999"); code != 404 || !strings.Contains(body, "R9999") {
		t.Fatalf("unknown case: %d", code)
	}
	if code, _ := b.get("/ui/nothing-here"); code != 404 {
		t.Fatalf("unknown page: %d", code)
	}
	code, h, _ = b.do("GET", "/ui/static/htmx.min.js", nil, nil)
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Fatalf("htmx: %d %s", code, h)
	}
}

func TestStepsAndAuthorization(t *testing.T) {
	ts := site(t)
	ann, bob, viewer, other := newBrowser(t, ts), newBrowser(t, ts), newBrowser(t, ts), newBrowser(t, ts)
	ann.login(tokAnn)
	bob.login(tokBob)
	viewer.login(tokViewer)
	other.login(tokOtherRev)
	htmx := map[string]string{"HX-Request": "true", "HX-Target": "case-panel"}
	// Claim through htmx: the panel comes back.
	code, _, body := ann.do("POST", "/ui/cases/R1002/claim?shop_id=shop-1", url.Values{}, htmx)
	if code != 200 || !strings.Contains(body, `id="case-panel"`) || !strings.Contains(body, `data-owner="ann"`) || strings.Contains(body, "<html") {
		t.Fatalf("claim: %d %s", code, body)
	}
	// Bob's claim is refused in place.
	code, h, body := bob.do("POST", "/ui/cases/R1002/claim?shop_id=shop-1", url.Values{}, htmx)
	if code != 200 || h.Get("HX-Retarget") != "#flash" || !strings.Contains(body, `data-code="case_taken"`) {
		t.Fatalf("bob's claim: %d %s %s", code, h, body)
	}
	// Without htmx a refusal is an error page with the status.
	code, _, _ = bob.do("POST", "/ui/cases/R1002/claim?shop_id=shop-1", url.Values{}, nil)
	if code != http.StatusConflict {
		t.Fatalf("bob's plain claim: %d", code)
	}
	// Viewers see no buttons and cannot post.
	_, body = viewer.get("/ui/cases/R1003")
	if strings.Contains(body, `id="claim"`) {
		t.Fatal("a viewer sees the claim button")
	}
	if code, _, _ := viewer.do("POST", "/ui/cases/R1003/claim", url.Values{}, nil); code != http.StatusForbidden {
		t.Fatalf("viewer claim: %d", code)
	}
	// Another shop's reviewer: 404, and nothing in its queue.
	if code, _ := other.get("/ui/cases/R1002"); code != http.StatusNotFound {
		t.Fatalf("other shop's case: %d", code)
	}
	if code, _, _ := other.do("POST", "/ui/cases/R1002/claim?shop_id=shop-1", url.Values{}, nil); code != http.StatusNotFound {
		t.Fatalf("other shop's claim: %d", code)
	}
	_, body = other.get("/ui/queue")
	if strings.Contains(body, "R1002") || !strings.Contains(body, "R2002") {
		t.Fatal("shop-2's queue shows the wrong cases")
	}
	// A cross-site form post is refused even with the cookie.
	code, _, _ = ann.do("POST", "/ui/cases/R1002/release?shop_id=shop-1", url.Values{}, map[string]string{"Origin": "https://evil.example"})
	if code != http.StatusForbidden {
		t.Fatalf("cross-site: %d", code)
	}
	// A plain form verdict redirects back to the case.
	code, h, _ = ann.do("POST", "/ui/cases/R1002/verdict?shop_id=shop-1", url.Values{"verdict": {"fraud"}, "note": {"单号被重复使用"}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/cases/R1002?shop_id=shop-1" {
		t.Fatalf("verdict: %d %s", code, h)
	}
	_, body = ann.get("/ui/cases/R1002")
	mustContain(t, "closed case", body, `data-status="closed"`, "已结案", "欺诈", "单号被重复使用", `id="reopen"`)
	_, body = ann.get("/ui/queue")
	if strings.Contains(body, `data-refund="R1002"`) {
		t.Fatal("decided case still queued")
	}
	_, body = ann.get("/ui/queue?status=closed")
	mustContain(t, "closed queue", body, `data-refund="R1002"`)
	// The queue filter answers htmx with the table only.
	code, _, body = ann.do("GET", "/ui/queue?rule=low_weight_return", nil, map[string]string{"HX-Request": "true", "HX-Target": "queue"})
	if code != 200 || strings.Contains(body, "<html") || !strings.Contains(body, `data-refund="R1003"`) || strings.Contains(body, `data-refund="R1001"`) {
		t.Fatalf("filtered: %d %s", code, body)
	}
}

// Reopening a fraud verdict shows in the log how many known-offender
// identifiers it withdrew.
func TestReopenShowsWithdrawnOffenders(t *testing.T) {
	ts, w := siteWorld(t)
	ann := newBrowser(t, ts)
	ann.login(tokAnn)
	ann.do("POST", "/ui/cases/R1002/claim?shop_id=shop-1", url.Values{}, nil)
	if code, _, _ := ann.do("POST", "/ui/cases/R1002/verdict?shop_id=shop-1", url.Values{"verdict": {"fraud"}, "note": {"单号被重复使用"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("verdict: %d", code)
	}
	// This workflow has no offender book: confirm as its effects would.
	at := time.Now().Add(-time.Minute)
	if err := w.Store.ConfirmOffenders(context.Background(), []offender.Confirmation{
		{Hash: "h-account", Kind: offender.KindAccount, Shop: "shop-1", RefundID: "R1002", ConfirmedAt: at},
		{Hash: "h-phone", Kind: offender.KindPhone, Shop: "shop-1", RefundID: "R1002", ConfirmedAt: at},
	}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := ann.do("POST", "/ui/cases/R1002/reopen?shop_id=shop-1", url.Values{"note": {"买家提供了视频"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("reopen: %d", code)
	}
	_, body := ann.get("/ui/cases/R1002")
	mustContain(t, "reopened case", body, "重新打开", "撤销 2 个已确认欺诈者标识")
	_, body = ann.get("/ui/cases/R1002?lang=en")
	mustContain(t, "reopened case (en)", body, "2 known-offender identifiers withdrawn")
}

// Every word key a template uses has both languages.
func TestEveryKeyTranslated(t *testing.T) {
	files, _ := filepath.Glob("templates/*.html")
	keyRE := regexp.MustCompile(`\{\{\s*-?\s*(?:t|tf)\s+"([^"]+)"`)
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(data), -1) {
			seen++
			if !web.HasWord(m[1]) {
				t.Errorf("%s: word %q has no translation", f, m[1])
			}
		}
	}
	if seen < 50 {
		t.Fatalf("only %d words found: the scan is broken", seen)
	}
}
