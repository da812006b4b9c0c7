package web

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sellerguard/sellerguard/api"
	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

// tr is the UI word for key in lang.
func tr(lang, key string) string {
	w, ok := dict[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

var chinaTime = time.FixedZone("UTC+8", 8*60*60)

func caseURL(shop, id string) string {
	return "/ui/cases/" + url.PathEscape(id) + "?" + url.Values{"shop_id": {shop}}.Encode()
}

func buyerURL(shop, id string) string {
	return "/ui/buyers/" + url.PathEscape(id) + "?" + url.Values{"shop_id": {shop}}.Encode()
}

func searchURL(shop, q string) string {
	v := url.Values{"q": {q}}
	if shop != "" {
		v.Set("shop_id", shop)
	}
	return "/ui/search?" + v.Encode()
}

// linkURL is where an evidence link goes in the UI.
func linkURL(shop string, l api.Link) string {
	switch l.Kind {
	case "refund":
		return caseURL(shop, l.ID)
	case "buyer":
		return buyerURL(shop, l.ID)
	case "message":
		return "#msg-" + l.ID
	}
	return searchURL(shop, l.ID)
}

// funcs are the template functions in one language.
func funcs(lang string) template.FuncMap {
	pick := func(t rules.Text) string {
		if lang == "en" {
			return t.EN
		}
		return t.ZH
	}
	return template.FuncMap{
		"t":  func(key string) string { return tr(lang, key) },
		"tf": func(key string, args ...any) string { return fmt.Sprintf(tr(lang, key), args...) },
		"tx": pick,
		"tk": func(prefix, key string) string { // a word with a prefix, the key itself when unknown
			if _, ok := dict[prefix+"."+key]; ok {
				return tr(lang, prefix+"."+key)
			}
			return key
		},
		"ruleName": func(code string) string { return pick(api.RuleName(code)) },
		"amount":   func(minor int64) string { return fmt.Sprintf("¥%d.%02d", minor/100, minor%100) },
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(chinaTime).Format("2006-01-02 15:04")
		},
		"whenFull": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(chinaTime).Format("2006-01-02 15:04:05 (UTC+8)")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"age": func(sec int64) string {
			d := time.Duration(sec) * time.Second
			switch {
			case d >= 48*time.Hour:
				return fmt.Sprintf(map[bool]string{true: "%d days", false: "%d 天"}[lang == "en"], int(d.Hours()/24))
			case d >= time.Hour:
				return fmt.Sprintf(map[bool]string{true: "%d h", false: "%d 小时"}[lang == "en"], int(d.Hours()))
			}
			return fmt.Sprintf(map[bool]string{true: "%d min", false: "%d 分钟"}[lang == "en"], int(d.Minutes()))
		},
		"pct": func(p *float64) string {
			if p == nil {
				return "—"
			}
			return fmt.Sprintf("%.0f%%", *p*100)
		},
		"caseURL":   caseURL,
		"buyerURL":  buyerURL,
		"searchURL": searchURL,
		"linkURL":   linkURL,
		"has":       func(list []string, s string) bool { return slices.Contains(list, s) },
		"join":      func(list []string, sep string) string { return strings.Join(list, sep) },
		"highlight": highlight,
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"address": func(a *event.Address) string {
			if a == nil {
				return "—"
			}
			return strings.TrimSpace(strings.Join([]string{a.Name, a.Phone, a.Province + a.City + a.District + " " + a.Address}, " "))
		},
		"itemRefs": func(refs []event.ItemRef) string {
			if len(refs) == 0 {
				return "—"
			}
			parts := make([]string, len(refs))
			for i, r := range refs {
				parts[i] = fmt.Sprintf("%s×%d", r.SKUID, r.Quantity)
			}
			return strings.Join(parts, ", ")
		},
		"orderItems": func(items []event.Item) string {
			parts := make([]string, len(items))
			for i, it := range items {
				parts[i] = fmt.Sprintf("%s %s×%d", it.SKUID, it.Title, it.Quantity)
			}
			return strings.Join(parts, "; ")
		},
		"sortedKeys": func(m map[string]api.Source) []string {
			ks := make([]string, 0, len(m))
			for k := range m {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			return ks
		},
		"esc":      func(s string) string { return url.QueryEscape(s) },
		"add":      func(a, b int) int { return a + b },
		"reasonOf": func(shop string, r api.ExplainedReason) reasonView { return reasonView{Shop: shop, R: r} },
		"allowOf":  func(c *caseData, a *allowData) allowPart { return allowPart{C: c, A: a} },
	}
}

// reasonView is a reason with the shop its links belong to.
type reasonView struct {
	Shop string
	R    api.ExplainedReason
}

// allowPart is a case with its allowances, for the "allowances" template.
type allowPart struct {
	C *caseData
	A *allowData
}

// highlight escapes a message and marks the phrases that matched in it.
func highlight(text string, phrases []string) template.HTML {
	lower := strings.ToLower(text)
	type span struct{ from, to int }
	var marks []span
	for _, p := range phrases {
		if p == "" {
			continue
		}
		lp := strings.ToLower(p)
		for i := 0; ; {
			j := strings.Index(lower[i:], lp)
			if j < 0 {
				break
			}
			marks = append(marks, span{i + j, i + j + len(lp)})
			i += j + len(lp)
		}
	}
	if len(lower) != len(text) { // case folding changed lengths: mark nothing
		marks = nil
	}
	slices.SortFunc(marks, func(a, b span) int { return a.from - b.from })
	var b strings.Builder
	at := 0
	for _, m := range marks {
		if m.from < at {
			continue // overlaps the previous mark
		}
		b.WriteString(template.HTMLEscapeString(text[at:m.from]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(text[m.from:m.to]))
		b.WriteString("</mark>")
		at = m.to
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String())
}
