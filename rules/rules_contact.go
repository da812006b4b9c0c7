package rules

// order_contact_anomaly: a receiver address that is junk, or a phone number
// that cannot be anyone's (地址异常、电话空号), typical of mass malicious
// ordering. Masked fields (platform privacy), landlines and foreign numbers
// are real and never an anomaly.

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

var contactWords = map[string]Text{
	"address:placeholder":         {ZH: "是占位文字", EN: "is a placeholder"},
	"address:test_words":          {ZH: "含测试字样", EN: "contains test words"},
	"address:too_short":           {ZH: "过短", EN: "is too short"},
	"address:repeated_characters": {ZH: "为重复字符", EN: "is repeated characters"},
	"address:keyboard_mash":       {ZH: "为键盘乱敲", EN: "is a keyboard mash"},
	"phone:too_short":             {ZH: "位数过少", EN: "has too few digits"},
	"phone:too_long":              {ZH: "位数过多", EN: "has too many digits"},
	"phone:invalid_mobile_prefix": {ZH: "号段不存在", EN: "has no such mobile prefix"},
	"phone:invalid_mobile_length": {ZH: "手机号位数不对", EN: "has the wrong length for a mobile number"},
	"phone:all_same_digit":        {ZH: "全是同一数字", EN: "is one digit repeated"},
}

func orderContactAnomaly(c Case, cfg OrderContactAnomalyConfig) []finding {
	o := c.Order
	if !cfg.Enabled || o == nil || o.Receiver == nil {
		return nil
	}
	recv := o.Receiver
	var problems []string
	for _, p := range addressProblems(recv.Address, cfg) {
		problems = append(problems, "address:"+p)
	}
	if p := phoneProblem(recv.Phone); p != "" {
		problems = append(problems, "phone:"+p)
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	evidence := map[string]any{"order_id": o.OrderID, "problems": problems}
	var zh, en []string
	var addrZH, addrEN, phoneZH, phoneEN []string
	for _, p := range problems {
		w := contactWords[p]
		if strings.HasPrefix(p, "address:") {
			addrZH, addrEN = append(addrZH, w.ZH), append(addrEN, w.EN)
		} else {
			phoneZH, phoneEN = append(phoneZH, w.ZH), append(phoneEN, w.EN)
		}
	}
	if len(addrZH) > 0 {
		evidence["address"] = recv.Address
		zh = append(zh, fmt.Sprintf("地址“%s”%s", recv.Address, strings.Join(addrZH, "、")))
		en = append(en, fmt.Sprintf("address %q %s", recv.Address, strings.Join(addrEN, " and ")))
	}
	if len(phoneZH) > 0 {
		evidence["phone"] = recv.Phone
		zh = append(zh, fmt.Sprintf("电话“%s”%s", recv.Phone, strings.Join(phoneZH, "、")))
		en = append(en, fmt.Sprintf("phone %q %s", recv.Phone, strings.Join(phoneEN, " and ")))
	}
	return []finding{newFinding(OrderContactAnomaly, cfg.Weight, cfg.Hard,
		fmt.Sprintf("订单 %s 的收货信息异常:%s", o.OrderID, strings.Join(zh, ";")),
		fmt.Sprintf("Order %s has an implausible receiver: %s", o.OrderID, strings.Join(en, "; ")),
		evidence)}
}

// addressProblems judges a receiver's street line. An empty line says nothing
// (the platform may put the whole address elsewhere), and mask characters
// (文三路***号) are the platform's privacy, not the buyer's typing.
func addressProblems(street string, cfg OrderContactAnomalyConfig) []string {
	t := normText(street)
	if t == "" {
		return nil
	}
	masked := false
	t = strings.Map(func(r rune) rune {
		if r == '*' || r == '∗' || r == '﹡' || r == '●' {
			masked = true
			return -1
		}
		return r
	}, t)
	ph := data().phrases
	var out []string
	if ph.placeholders[t] {
		out = append(out, "placeholder")
	} else if len(ph.testWords.find(t)) > 0 {
		out = append(out, "test_words")
	}
	var alnum []rune
	for _, r := range t {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum = append(alnum, r)
		}
	}
	if len(alnum) < cfg.MinAddressRunes && !masked && len(out) == 0 {
		out = append(out, "too_short")
	}
	if repeated(alnum, cfg.RepeatRun) {
		out = append(out, "repeated_characters")
	}
	if keyboardMash(strings.ToLower(norm.NFKC.String(width.Fold.String(street))), ph.KeyboardRows) {
		out = append(out, "keyboard_mash")
	}
	return out
}

// repeated: a run of `run` identical characters, one character only (at least
// three), or at least six characters of two kinds (ababab, 121212).
func repeated(rs []rune, run int) bool {
	if len(rs) == 0 {
		return false
	}
	distinct := map[rune]bool{}
	longest, cur := 1, 1
	for i, r := range rs {
		distinct[r] = true
		if i > 0 && r == rs[i-1] {
			cur++
			longest = max(longest, cur)
		} else {
			cur = 1
		}
	}
	return longest >= run || (len(distinct) == 1 && len(rs) >= 3) || (len(distinct) <= 2 && len(rs) >= 6)
}

// keyboardMash: a word of Latin letters that holds five neighbouring keys of
// one keyboard row, either way, or six consonants in a row. Pinyin and
// English street names have neither. Words are split at spaces, so "Fifth
// Street" is two words.
func keyboardMash(t string, rows []string) bool {
	for _, word := range strings.FieldsFunc(t, func(r rune) bool { return r < 'a' || r > 'z' }) {
		if len(word) < 5 {
			continue
		}
		for _, row := range rows {
			rev := []byte(row)
			slices.Reverse(rev)
			for _, line := range []string{row, string(rev)} {
				for i := 0; i+5 <= len(line); i++ {
					if strings.Contains(word, line[i:i+5]) {
						return true
					}
				}
			}
		}
		cons := 0
		for i := 0; i < len(word); i++ {
			if strings.IndexByte("aeiouy", word[i]) >= 0 {
				cons = 0
			} else if cons++; cons >= 6 {
				return true
			}
		}
	}
	return false
}

// phoneProblem says why a receiver phone cannot be a real number, or "".
// Masked numbers, landlines, foreign numbers (with +) and numbers followed by
// an extension (privacy numbers: 17100001111-1234) are real.
func phoneProblem(raw string) string {
	p := NormalizePhone(raw)
	if p.Kind == PhoneNone || p.Kind == PhoneMasked {
		return ""
	}
	if sameDigit(digitsOf(raw)) || sameDigit(strings.TrimPrefix(p.Digits, "+")) {
		return "all_same_digit"
	}
	if p.Kind != PhoneOther || strings.HasPrefix(p.Digits, "+") || hasExtension(raw) {
		return ""
	}
	d := p.Digits
	n := len(d)
	switch {
	case n < 7:
		return "too_short"
	case d[0] == '1' && n == 10 && d[1] == '0':
		return "" // a Beijing landline without its trunk 0: 010 8888 0000
	case d[0] == '1' && n == 11:
		return "invalid_mobile_prefix"
	case d[0] == '1' && n <= 12:
		// Local landline numbers never start with 1: this is a mobile
		// number with digits missing or one too many.
		return "invalid_mobile_length"
	case n > 15:
		return "too_long"
	}
	return ""
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r = foldWidthRune(r); r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sameDigit(d string) bool {
	if len(d) < 5 {
		return false
	}
	return strings.Count(d, d[:1]) == len(d)
}

// hasExtension: a mobile or landline number followed, after a separator, by
// one to six more digits.
func hasExtension(raw string) bool {
	var ends []int // byte offsets where digit runs end
	var tails []int
	in := false
	count := 0
	for i, r := range raw {
		d := foldWidthRune(r) >= '0' && foldWidthRune(r) <= '9'
		if d {
			count++
		}
		if in && !d {
			ends = append(ends, i)
			tails = append(tails, count)
		}
		in = d
	}
	if in {
		ends = append(ends, len(raw))
		tails = append(tails, count)
	}
	for k := 0; k+1 < len(ends); k++ {
		rest := count - tails[k]
		if rest < 1 || rest > 6 {
			continue
		}
		if kind := NormalizePhone(raw[:ends[k]]).Kind; kind == PhoneMobile || kind == PhoneLandline {
			return true
		}
	}
	return false
}
