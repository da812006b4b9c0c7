package rules

// The tables the rules read: waybill formats per carrier, postage per carrier
// and route, and phrase lists. They are data (rules/data/*.yaml, embedded in
// the binary), loaded once and checked by tests, so a courier's new numbering
// or a new threat phrase is a data change, not a code change.

import (
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/cloudflare/ahocorasick"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

//go:embed data/*.yaml
var dataFS embed.FS

// ---------------------------------------------------------------------------
// Waybill formats

type carrierFormat struct {
	Name       string   `yaml:"name"`
	Aliases    []string `yaml:"aliases"`
	Formats    []string `yaml:"formats"`
	Describe   string   `yaml:"describe"`
	DescribeZH string   `yaml:"describe_zh"`
	S10        bool     `yaml:"s10"`
	Valid      []string `yaml:"valid"`
	Invalid    []string `yaml:"invalid"`

	res []*regexp.Regexp
}

type waybillData struct {
	Carriers map[string]*carrierFormat `yaml:"carriers"`

	alias map[string]string // folded alias or code -> code
}

// ---------------------------------------------------------------------------
// Postage

// fee is [first kilogram, each further kilogram], in fen.
type fee [2]int64

type carrierPostage struct {
	SameCity      fee `yaml:"same_city"`
	SameProvince  fee `yaml:"same_province"`
	OtherProvince fee `yaml:"other_province"`
	Remote        fee `yaml:"remote"`
}

func (p carrierPostage) zone(z string) fee {
	switch z {
	case zoneSameCity:
		return p.SameCity
	case zoneSameProvince:
		return p.SameProvince
	case zoneOtherProvince:
		return p.OtherProvince
	}
	return p.Remote
}

type postageData struct {
	RemoteProvinces []string                   `yaml:"remote_provinces"`
	Carriers        map[string]*carrierPostage `yaml:"carriers"`

	highest carrierPostage // per zone, the highest fee of every carrier
}

const (
	zoneSameCity      = "same_city"
	zoneSameProvince  = "same_province"
	zoneOtherProvince = "other_province"
	zoneRemote        = "remote"
	zoneUnknown       = "unknown" // priced as remote
)

// ---------------------------------------------------------------------------
// Phrases

type phraseData struct {
	Threats             map[string][]string `yaml:"threats"`
	MoneyDemands        []string            `yaml:"money_demands"`
	CompensationWords   []string            `yaml:"compensation_words"`
	AddressPlaceholders []string            `yaml:"address_placeholders"`
	AddressTestWords    []string            `yaml:"address_test_words"`
	KeyboardRows        []string            `yaml:"keyboard_rows"`
	AddressNearWords    []string            `yaml:"address_near_words"`

	threats      *phraseSet // every threat phrase; group per phrase in threatGroup
	threatGroup  map[string]string
	demands      *phraseSet
	compensation *phraseSet
	testWords    *phraseSet
	nearWords    *phraseSet
	placeholders map[string]bool
}

// phraseSet finds which phrases of a list occur in a normalized text.
type phraseSet struct {
	phrases []string
	m       *ahocorasick.Matcher
}

func newPhraseSet(list []string) *phraseSet {
	var ps []string
	for _, p := range list {
		if p = normText(p); p != "" {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	ps = slices.Compact(ps)
	return &phraseSet{phrases: ps, m: ahocorasick.NewStringMatcher(ps)}
}

// find returns the phrases found in text (already normalized), sorted. A
// phrase starting or ending with a Latin letter or digit counts only where no
// letter or digit touches it there.
func (s *phraseSet) find(text string) []string {
	if s == nil || len(s.phrases) == 0 || text == "" {
		return nil
	}
	var out []string
	for _, i := range s.m.MatchThreadSafe([]byte(text)) {
		p := s.phrases[i]
		if wordEdges(p) && !occursAsWord(text, p) {
			continue
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isASCIIAlnum(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

func wordEdges(p string) bool { return isASCIIAlnum(p[0]) || isASCIIAlnum(p[len(p)-1]) }

// occursAsWord reports whether p occurs in text with no ASCII letter or digit
// right before an alphanumeric first byte or right after an alphanumeric last
// byte.
func occursAsWord(text, p string) bool {
	for from := 0; from <= len(text)-len(p); {
		i := strings.Index(text[from:], p)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(p)
		okStart := !isASCIIAlnum(p[0]) || start == 0 || !isASCIIAlnum(text[start-1])
		okEnd := !isASCIIAlnum(p[len(p)-1]) || end == len(text) || !isASCIIAlnum(text[end])
		if okStart && okEnd {
			return true
		}
		from = start + 1
	}
	return false
}

// normText is how texts and phrases are compared: width-folded, NFKC, lower
// case, without white space and invisible format characters.
func normText(s string) string {
	s = norm.NFKC.String(width.Fold.String(s))
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.IsControl(r) {
			continue
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

// ---------------------------------------------------------------------------
// Loading

type tables struct {
	waybills waybillData
	postage  postageData
	phrases  phraseData
}

// data returns the embedded tables, loaded on first use. The files are part of
// the binary and checked by tests, so a failure here is a build defect.
var data = sync.OnceValue(func() *tables {
	t, err := loadTables()
	if err != nil {
		panic(err)
	}
	return t
})

func loadTables() (*tables, error) {
	var t tables
	for _, f := range []struct {
		name string
		into any
	}{{"data/waybills.yaml", &t.waybills}, {"data/postage.yaml", &t.postage}, {"data/phrases.yaml", &t.phrases}} {
		b, err := dataFS.ReadFile(f.name)
		if err != nil {
			return nil, err
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(f.into); err != nil {
			return nil, fmt.Errorf("rules: %s: %w", f.name, err)
		}
	}

	w := &t.waybills
	w.alias = map[string]string{}
	for code, c := range w.Carriers {
		if code != strings.ToUpper(code) || len(c.Formats) == 0 || c.Describe == "" || c.DescribeZH == "" || c.Name == "" {
			return nil, fmt.Errorf("rules: data/waybills.yaml: %s needs an upper-case code, a name, formats, describe and describe_zh", code)
		}
		for _, f := range c.Formats {
			re, err := regexp.Compile(`^(?:` + f + `)$`)
			if err != nil {
				return nil, fmt.Errorf("rules: data/waybills.yaml: %s: %w", code, err)
			}
			c.res = append(c.res, re)
		}
		for _, a := range append([]string{code, c.Name}, c.Aliases...) {
			k := carrierKey(a)
			if other, dup := w.alias[k]; dup && other != code {
				return nil, fmt.Errorf("rules: data/waybills.yaml: alias %q names both %s and %s", a, other, code)
			}
			w.alias[k] = code
		}
	}

	p := &t.postage
	if len(p.Carriers) == 0 {
		return nil, fmt.Errorf("rules: data/postage.yaml: no carriers")
	}
	for code, c := range p.Carriers {
		for _, f := range []fee{c.SameCity, c.SameProvince, c.OtherProvince, c.Remote} {
			if f[0] <= 0 || f[1] < 0 {
				return nil, fmt.Errorf("rules: data/postage.yaml: %s: every zone needs a positive first-kilogram fee", code)
			}
		}
		for _, z := range []struct{ dst, src *fee }{
			{&p.highest.SameCity, &c.SameCity}, {&p.highest.SameProvince, &c.SameProvince},
			{&p.highest.OtherProvince, &c.OtherProvince}, {&p.highest.Remote, &c.Remote},
		} {
			z.dst[0], z.dst[1] = max(z.dst[0], z.src[0]), max(z.dst[1], z.src[1])
		}
	}
	for i, prov := range p.RemoteProvinces {
		p.RemoteProvinces[i] = adminBase(cleanAddrText(prov, false))
	}

	ph := &t.phrases
	if len(ph.Threats) == 0 || len(ph.MoneyDemands) == 0 {
		return nil, fmt.Errorf("rules: data/phrases.yaml: threats and money_demands are required")
	}
	var all []string
	ph.threatGroup = map[string]string{}
	for _, group := range slices.Sorted(mapKeys(ph.Threats)) {
		for _, phrase := range ph.Threats[group] {
			n := normText(phrase)
			if g, dup := ph.threatGroup[n]; dup && g != group {
				return nil, fmt.Errorf("rules: data/phrases.yaml: threat %q is in %s and %s", phrase, g, group)
			}
			ph.threatGroup[n] = group
			all = append(all, phrase)
		}
	}
	ph.threats = newPhraseSet(all)
	ph.demands = newPhraseSet(ph.MoneyDemands)
	ph.compensation = newPhraseSet(ph.CompensationWords)
	ph.testWords = newPhraseSet(ph.AddressTestWords)
	ph.nearWords = newPhraseSet(ph.AddressNearWords)
	ph.placeholders = map[string]bool{}
	for _, s := range ph.AddressPlaceholders {
		ph.placeholders[normText(s)] = true
	}
	for i, row := range ph.KeyboardRows {
		ph.KeyboardRows[i] = strings.ToLower(row)
	}
	return &t, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Carriers and waybills

// carrierKey is how carrier codes and names are compared.
func carrierKey(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(width.Fold.String(s)), ""))
}

// carrierCode maps a carrier as given (SF, sf, 顺丰) to its contract code; an
// unknown carrier is kept, upper-cased, as the contract keeps unknown codes.
func carrierCode(s string) string {
	k := carrierKey(s)
	if code, ok := data().waybills.alias[k]; ok {
		return code
	}
	return k
}

// carrierName is the carrier's Chinese name for messages, or its code.
func carrierName(code string) string {
	if c, ok := data().waybills.Carriers[code]; ok {
		return c.Name
	}
	return code
}

// waybillFits reports whether a normalized number fits the carrier's formats,
// and whether the carrier has formats at all.
func waybillFits(code, no string) (fits, known bool) {
	c, ok := data().waybills.Carriers[code]
	if !ok {
		return false, false
	}
	for _, re := range c.res {
		if re.MatchString(no) {
			if c.S10 && isS10Shape(no) && !s10CheckOK(no) {
				continue
			}
			return true, true
		}
	}
	return false, true
}

// carriersFitting lists the carriers whose formats a number with letters
// fits, sorted: "SF1402338841207" typed under YTO fits SF. A number of digits
// alone fits too many carriers to say anything, and gets none.
func carriersFitting(no string) []string {
	if allDigits(no) {
		return nil
	}
	var out []string
	for code := range data().waybills.Carriers {
		if fits, _ := waybillFits(code, no); fits {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isS10Shape: two letters, nine digits, two letters (the UPU S10 standard).
func isS10Shape(s string) bool {
	if len(s) != 13 {
		return false
	}
	for i := 0; i < 13; i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		if (i < 2 || i > 10) != letter || (!letter && (c < '0' || c > '9')) {
			return false
		}
	}
	return true
}

// s10CheckOK verifies the UPU S10 check digit: the eight serial digits are
// weighted 8 6 4 2 3 5 9 7, and the check digit is 11 − (sum mod 11), with 10
// written 0 and 11 written 5.
func s10CheckOK(s string) bool {
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i, w := range weights {
		sum += int(s[2+i]-'0') * w
	}
	check := 11 - sum%11
	switch check {
	case 10:
		check = 0
	case 11:
		check = 5
	}
	return int(s[10]-'0') == check
}

// ---------------------------------------------------------------------------
// Postage

// typicalFee is what sending a parcel of the given weight costs with the
// carrier in the zone, in fen, and the billed kilograms.
func typicalFee(code, zone string, grams int64) (int64, int64) {
	p := data().postage
	table := p.highest
	if c, ok := p.Carriers[code]; ok {
		table = *c
	}
	f := table.zone(zone)
	kg := max(1, (grams+999)/1000)
	return f[0] + (kg-1)*f[1], kg
}

func isRemoteProvince(prov string) bool {
	return prov != "" && slices.Contains(data().postage.RemoteProvinces, prov)
}
