package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/rules"
)

// apiAllowances lists a shop's allowances through the API.
func apiAllowances(t *testing.T, b *browser, token string) []rules.Allowance {
	t.Helper()
	code, _, body := b.do("GET", "/v1/allowances", nil, map[string]string{"Authorization": "Bearer " + token})
	if code != 200 {
		t.Fatalf("GET /v1/allowances: %d %s", code, body)
	}
	var out struct{ Allowances []rules.Allowance }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out.Allowances
}

// A reviewer marks the light parcel's receiver phone safe for
// low_weight_return from the case page: stored as the API stores it, the
// refund is assessed again, and the case shows the allowance.
func TestMarkSafe(t *testing.T) {
	ts := site(t)
	ann, viewer, other := newBrowser(t, ts), newBrowser(t, ts), newBrowser(t, ts)
	ann.login(tokAnn)
	viewer.login(tokViewer)
	other.login(tokOtherRev)
	const page = "/ui/cases/R1003?shop_id=shop-1"
	const post = "/ui/cases/R1003/allow?shop_id=shop-1"

	_, body := ann.get(page)
	mustContain(t, "zh case", body, `id="allow-form"`, "标记为可信", "可信名单与暂停", `id="allow-none"`,
		`id="allow-kind-account"`, "tb_carol", `id="allow-kind-phone"`, "13700137000", `id="allow-kind-address"`, "科技园南区8栋1101",
		`id="allow-kind-sender"`, `id="allow-rule-low_weight_return"`, `name="days" id="allow-days" value="30"`, `data-rule="low_weight_return"`)
	_, body = ann.get(page + "&lang=en")
	mustContain(t, "en case", body, "Mark safe", "Allowances and snoozes", "receiver phone", "return sender", "Rules to hold back", "Reason (required)")

	// Viewers see the list but no form, and cannot post one.
	_, body = viewer.get(page + "&lang=zh")
	if strings.Contains(body, `id="allow-form"`) || !strings.Contains(body, `id="allowances"`) {
		t.Fatal("a viewer sees the mark-safe form, or no allowances")
	}
	good := url.Values{"kind": {"phone"}, "rule": {rules.LowWeightReturn}, "days": {"7"}, "reason": {"老客户,包裹轻是因为只退了鞋盒里的鞋"}}
	if code, _, body := viewer.do("POST", post, good, nil); code != http.StatusForbidden || !strings.Contains(body, "只读令牌不能修改可信名单") {
		t.Fatalf("viewer post: %d", code)
	}
	// Another shop's reviewer: not found; a cross-site post: refused.
	if code, _, _ := other.do("POST", post, good, nil); code != http.StatusNotFound {
		t.Fatalf("other shop: %d", code)
	}
	if code, _, _ := ann.do("POST", post, good, map[string]string{"Origin": "https://evil.example"}); code != http.StatusForbidden {
		t.Fatalf("cross-site: %d", code)
	}
	// Refusals, in the page's language.
	for _, tc := range []struct {
		change url.Values
		lang   string
		want   string
	}{
		{url.Values{"reason": {"  "}}, "zh", "请填写原因"},
		{url.Values{"reason": {""}}, "en", "Give a reason"},
		{url.Values{"rule": {rules.TrackingReused}}, "en", "is not one of this case"},
		{url.Values{"kind": {"email"}}, "zh", "请选择本案的一个标识"},
		{url.Values{"days": {"400"}}, "en", "1 to 365 days"},
	} {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		for k, v := range tc.change {
			form[k] = v
		}
		code, _, body := ann.do("POST", post+"&lang="+tc.lang, form, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%v: %d, want 400 with %q", tc.change, code, tc.want)
		}
	}
	if got := apiAllowances(t, ann, tokAnn); len(got) != 0 {
		t.Fatalf("refused posts stored %v", got)
	}

	// The real thing: back to the case, which the allowance now covers.
	start := time.Now()
	code, h, _ := ann.do("POST", post, good, nil)
	if code != http.StatusSeeOther || h.Get("Location") != page {
		t.Fatalf("mark safe: %d %s", code, h.Get("Location"))
	}
	got := apiAllowances(t, ann, tokAnn)
	if len(got) != 1 {
		t.Fatalf("stored %v", got)
	}
	a := got[0]
	until := start.Add(7 * 24 * time.Hour)
	if a.Kind != "phone" || a.Key != rules.PhoneKey("+86 137-0013-7000") || a.By != "ann" || len(a.Rules) != 1 || a.Rules[0] != rules.LowWeightReturn ||
		a.Until.Before(until.Add(-time.Second)) || a.Until.After(until.Add(time.Minute)) || a.Reason != good.Get("reason") {
		t.Fatalf("stored %+v", a)
	}
	_, body = ann.get(page + "&lang=zh")
	mustContain(t, "covered case", body, `id="allow-list"`, `data-kind="phone" data-applies="true"`, "本案", "收货电话", "ann", good.Get("reason"),
		"被放行名单抑制的发现", "没有风险原因")
	if strings.Contains(body, `data-rule="low_weight_return"`) {
		t.Error("the held-back finding is still a reason")
	}
	_, body = ann.get(page + "&lang=en")
	mustContain(t, "covered case, en", body, "this case", "receiver phone", "Findings held back by an allowance")
	// The API reads the same record: posting the same phone in another
	// spelling through the API replaces it rather than adding a second.
	req := `{"kind":"phone","value":"+86 137 0013 7000","rules":["low_weight_return"],"until":"` + start.Add(48*time.Hour).Format(time.RFC3339) + `","reason":"api"}`
	apiReq, _ := http.NewRequest("POST", ts.URL+"/v1/allowances", strings.NewReader(req))
	apiReq.Header.Set("Authorization", "Bearer "+tokAnn)
	resp, err := http.DefaultClient.Do(apiReq)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("api post: %v %v", err, resp)
	}
	resp.Body.Close()
	if got := apiAllowances(t, ann, tokAnn); len(got) != 1 || got[0].Reason != "api" {
		t.Fatalf("after the API's post: %+v", got)
	}
	// Another shop does not see shop-1's allowances.
	_, body = other.get("/ui/cases/R2002")
	if strings.Contains(body, `id="allow-list"`) {
		t.Fatal("shop-2 sees shop-1's allowances")
	}
}
