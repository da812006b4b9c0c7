package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/rules"
)

// Exit codes of `sellerguard check`, so a script can gate a refund on them.
const (
	exitApprove = 0
	exitFailed  = 1
	exitUsage   = 2
	exitReview  = 3
	exitBlock   = 4
)

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "sellerguard check [flags] REFUND_ID\n\nPrints the assessment of one refund from a running instance.\nExit status: 0 approve, 3 review, 4 block, 1 error, 2 bad usage.", stderr)
	api := fs.String("api", "http://127.0.0.1:8080", "base URL of a running sellerguard")
	token := fs.String("token", "", "API bearer token")
	shop := fs.String("shop", "", "shop id, for an admin token when several shops have the refund id")
	asJSON := fs.Bool("json", false, "print the assessment as JSON")
	lang := fs.String("lang", "zh", "language of the reasons: zh or en")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "sellerguard check: exactly one REFUND_ID is required")
		return exitUsage
	}
	if *lang != "zh" && *lang != "en" {
		fmt.Fprintf(stderr, "sellerguard check: --lang: %q is not zh or en\n", *lang)
		return exitUsage
	}
	u := strings.TrimRight(*api, "/") + "/v1/refunds/" + url.PathEscape(fs.Arg(0))
	if *shop != "" {
		u += "?shop_id=" + url.QueryEscape(*shop)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard check: --api: %v\n", err)
		return exitUsage
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard check: %v\n", err)
		return exitFailed
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard check: %v\n", err)
		return exitFailed
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
			fmt.Fprintf(stderr, "sellerguard check: %s: %s\n", e.Error.Code, e.Error.Message)
		} else {
			fmt.Fprintf(stderr, "sellerguard check: HTTP %d\n", resp.StatusCode)
		}
		return exitFailed
	}
	var a rules.Assessment
	if err := json.Unmarshal(body, &a); err != nil {
		fmt.Fprintf(stderr, "sellerguard check: bad answer: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		fmt.Fprintln(stdout, string(body))
	} else {
		printAssessment(stdout, a, *lang)
	}
	switch a.Decision {
	case rules.Block:
		return exitBlock
	case rules.Review:
		return exitReview
	}
	return exitApprove
}

func printAssessment(w io.Writer, a rules.Assessment, lang string) {
	fmt.Fprintf(w, "refund %s  shop %s  order %s  buyer %s\n", a.RefundID, a.ShopID, a.OrderID, a.BuyerID)
	fmt.Fprintf(w, "decision: %s  score: %d  (assessed %s, rules %s)\n", a.Decision, a.Score,
		a.AssessedAt.Format(time.RFC3339), a.RulesetVersion)
	for _, r := range a.Reasons {
		msg := r.Message.ZH
		if lang == "en" {
			msg = r.Message.EN
		}
		fmt.Fprintf(w, "  - [%s] %s: %s\n", r.Severity, r.Rule, msg)
	}
}
