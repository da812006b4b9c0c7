package browsertest_test

// The staff workflow in a real headless Chromium (Debian's chromium, driven
// with chromedp): log in, search a refund, read its reasons, claim the case,
// give a verdict and see the queue change, in Chinese and in English.
//
//	go test ./browsertest/ -run Browser -screenshots ../docs/screenshots
//
// also writes screenshots of the main pages for the README.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/browsertest"
	"github.com/sellerguard/sellerguard/web"
)

var screenshots = flag.String("screenshots", "", "write screenshots of the main pages (PNG) to this directory")

const (
	reviewerToken = "browser-ann-shop-1-token"
	viewerToken   = "browser-vic-shop-1-token"
)

// chromium finds the browser; scripts/test.sh installs Debian's.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found (apt-get install chromium fonts-wqy-microhei, or run scripts/test.sh)")
	return ""
}

// site runs the daemon's HTTP side (API, workflow, UI) over a fresh world.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	w := browsertest.NewWorld(t, time.Now())
	tokens, err := api.NewTokens([]api.Token{
		{Token: reviewerToken, Shop: browsertest.Shop1, Role: api.RoleReviewer, Name: "ann"},
		{Token: viewerToken, Shop: browsertest.Shop1, Role: api.RoleViewer, Name: "vic"},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := api.New(w.Store, tokens, nil, reg, reg, log)
	rv := api.NewReview(w.Store, w.Store, nil, nil, api.ReviewConfig{}, reg, log)
	srv.HandleReview(rv)
	ui, err := web.New(rv, tokens, log, web.WithAllowlist(w.Store, w.Processor))
	if err != nil {
		t.Fatal(err)
	}
	srv.HandleWeb(ui)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// newBrowser starts a headless Chromium with its own profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // as root in CI
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1400, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first call starts the browser, which lives as long as its
	// context: no timeout there, one on the actions after it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return tctx
}

type words struct {
	queue, reasonReused, claimed, closed, fraud string
}

var lang = map[string]words{
	"zh": {queue: "审核队列", reasonReused: "已用于退款 R1001", claimed: "放弃认领", closed: "已结案", fraud: "欺诈"},
	"en": {queue: "Review queue", reasonReused: "was already used by refund R1001", claimed: "Release", closed: "closed", fraud: "fraud"},
}

func TestBrowserReviewFlow(t *testing.T) {
	for _, l := range []string{"zh", "en"} {
		t.Run(l, func(t *testing.T) {
			ts := site(t)
			ctx := newBrowser(t)
			w := lang[l]
			do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, actions...); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			text := func(sel string) string {
				t.Helper()
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("text of %s: %v", sel, err)
				}
				return s
			}
			rows := func() int {
				t.Helper()
				n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#queue-table tbody tr').length`))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			shot := func(name string) {
				t.Helper()
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatalf("screenshot %s: %v", name, err)
				}
				savePNG(t, name+"-"+l, png)
			}

			// Log in, in the language chosen on the login page.
			do("login", chromedp.Navigate(ts.URL+"/ui/login?lang="+l),
				chromedp.WaitVisible(chromedp.CSS("#token")),
				chromedp.SendKeys(chromedp.CSS("#token"), reviewerToken),
				chromedp.Click(chromedp.CSS("#login-go")),
				chromedp.WaitVisible(chromedp.CSS("#queue-table")))
			if h := text("h1"); h != w.queue {
				t.Fatalf("queue heading %q, want %q", h, w.queue)
			}
			before := rows()
			if before != 4 {
				t.Fatalf("queue has %d cases, want 4", before)
			}
			shot("queue")

			// Search the refund and read its reasons (htmx swaps the results in).
			do("search", chromedp.Click(chromedp.CSS("#nav-search")),
				chromedp.WaitVisible(chromedp.CSS("#q")),
				chromedp.SendKeys(chromedp.CSS("#q"), browsertest.RefundReused),
				chromedp.Click(chromedp.CSS("#search-go")),
				chromedp.WaitVisible(chromedp.CSS("#hit-detail .reason")))
			if msg := text("#hit-detail .reason .message"); !strings.Contains(msg, w.reasonReused) {
				t.Fatalf("reason %q, want it to say %q", msg, w.reasonReused)
			}
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if !strings.Contains(loc, "q="+browsertest.RefundReused) {
				t.Errorf("the search is not in the address bar: %s", loc)
			}
			shot("search")

			// Open the case, claim it (in place), give a verdict.
			do("open case", chromedp.Click(chromedp.CSS("#hit-detail h2 a")),
				chromedp.WaitVisible(chromedp.CSS("#claim")))
			do("claim", chromedp.Click(chromedp.CSS("#claim")),
				chromedp.WaitVisible(chromedp.CSS(`#case-panel[data-owner="ann"] #release`)))
			if b := text("#release"); b != w.claimed {
				t.Errorf("release button %q, want %q", b, w.claimed)
			}
			shot("case")
			do("verdict", chromedp.Click(chromedp.CSS("#v-fraud")),
				chromedp.SendKeys(chromedp.CSS("#note"), "同一退货单号已被 tb_alice 使用 / waybill used by tb_alice"),
				chromedp.Click(chromedp.CSS("#submit-verdict")),
				chromedp.WaitVisible(chromedp.CSS(`#case-panel[data-status="closed"]`)))
			if s := text("#case-status"); !strings.Contains(s, w.closed) || !strings.Contains(s, w.fraud) {
				t.Fatalf("status after the verdict %q", s)
			}

			// The queue changed: the case left it.
			do("queue again", chromedp.Click(chromedp.CSS("#nav-queue")), chromedp.WaitVisible(chromedp.CSS("#queue-table")))
			if after := rows(); after != before-1 {
				t.Fatalf("queue has %d cases after the verdict, want %d", after, before-1)
			}
			if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-refund="R1002"]').length`)); n != 0 {
				t.Fatal("the decided case is still in the queue")
			}
			// Filters swap the table in place.
			do("filter", chromedp.SetValue(chromedp.CSS("#f-status"), "closed"),
				eval(`htmx.trigger('#filters', 'change'); true`),
				chromedp.WaitVisible(chromedp.CSS(`tr[data-refund="R1002"]`)))

			// The other pages.
			do("buyer", chromedp.Navigate(ts.URL+"/ui/buyers/tb_alice?shop_id=shop-1"), chromedp.WaitVisible(chromedp.CSS("#buyer-linked")))
			shot("buyer")
			do("rules", chromedp.Navigate(ts.URL+"/ui/rules"), chromedp.WaitVisible(chromedp.CSS("#rules-table")))
			shot("rules")
			do("evidence", chromedp.Navigate(ts.URL+"/ui/cases/R1003/evidence?shop_id=shop-1"), chromedp.WaitVisible(chromedp.CSS("#pack-weight")))
			shot("evidence")

			// Mark the light parcel's receiver phone safe: back on the case,
			// the allowance is listed as this case's.
			do("mark safe", chromedp.Navigate(ts.URL+"/ui/cases/R1003?shop_id=shop-1"), chromedp.WaitVisible(chromedp.CSS("#allow-form")),
				chromedp.Click(chromedp.CSS("#allow-kind-phone")),
				chromedp.SendKeys(chromedp.CSS("#allow-reason"), "老客户 / a long-standing customer"),
				chromedp.Click(chromedp.CSS("#allow-submit")),
				chromedp.WaitVisible(chromedp.CSS(`#allow-list tr[data-kind="phone"][data-applies="true"]`)))
			if s := text("#allow-list .allow-reason"); s != "老客户 / a long-standing customer" {
				t.Fatalf("allowance reason %q", s)
			}

			// The language switch on every page.
			other := map[string]string{"zh": "en", "en": "zh"}[l]
			do("switch", chromedp.Navigate(ts.URL+"/ui/queue"), chromedp.WaitVisible(chromedp.CSS("#lang-"+other)),
				chromedp.Click(chromedp.CSS("#lang-"+other)), chromedp.WaitVisible(chromedp.CSS("#lang-"+l)))
			if h := text("h1"); h != lang[other].queue {
				t.Fatalf("after switching: heading %q, want %q", h, lang[other].queue)
			}
		})
	}
}

// A viewer reads cases but has nothing to click.
func TestBrowserViewerReadsOnly(t *testing.T) {
	ts := site(t)
	ctx := newBrowser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), viewerToken),
		chromedp.Click(chromedp.CSS("#login-go")),
		chromedp.WaitVisible(chromedp.CSS("#queue-table")),
		chromedp.Navigate(ts.URL+"/ui/cases/R1004"),
		chromedp.WaitVisible(chromedp.CSS("#case-panel")))
	if err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#claim, #release, #verdict-form, #reopen, #allow-form').length`))
	if err != nil || n != 0 {
		t.Fatalf("a viewer sees %d buttons (%v)", n, err)
	}
	quote, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".quote blockquote")))
	if err != nil || quote != browsertest.ExtortionText {
		t.Fatalf("quoted message %q (%v)", quote, err)
	}
	marks, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.quote mark').length`))
	if marks < 3 {
		t.Fatalf("%d phrases marked", marks)
	}
}

// eval runs JavaScript as a step.
func eval(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return err
	})
}

// savePNG checks a screenshot is a real picture and keeps it: in the
// -screenshots directory, or the test's temporary one.
func savePNG(t *testing.T, name string, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 300 {
		t.Fatalf("screenshot %s is %dx%d", name, b.Dx(), b.Dy())
	}
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.png", name)), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
