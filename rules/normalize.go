package rules

// Normalization of what buyers type: phone numbers, addresses, waybill numbers
// and names. Everything here is pure and allocation-light because it runs for
// every event on the hot path.

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/sellerguard/sellerguard/event"
)

// ---------------------------------------------------------------------------
// Phones

// PhoneKind classifies a normalized phone number.
type PhoneKind uint8

const (
	// PhoneNone: empty or no digits at all.
	PhoneNone PhoneKind = iota
	// PhoneMobile: Chinese mobile, 11 digits ^1[3-9]\d{9}$.
	PhoneMobile
	// PhoneLandline: Chinese landline with area code, e.g. 057188880000.
	PhoneLandline
	// PhoneMasked: partly hidden (138****5678); a weak signal, never a key.
	PhoneMasked
	// PhoneOther: anything else with digits: foreign, service or short numbers.
	PhoneOther
)

func (k PhoneKind) String() string {
	switch k {
	case PhoneNone:
		return "none"
	case PhoneMobile:
		return "mobile"
	case PhoneLandline:
		return "landline"
	case PhoneMasked:
		return "masked"
	case PhoneOther:
		return "other"
	}
	return "unknown"
}

// Phone is a normalized phone number. Digits holds ASCII digits only, except:
// masked numbers keep '*' for hidden digits, and numbers outside China start
// with '+' and their country code ("+14155550100").
type Phone struct {
	Digits string
	Kind   PhoneKind
}

// Key is the index key for linking accounts by phone, or "" when the number
// must not be used as one: masked numbers match many people, and very short
// or overlong "numbers" are typing accidents.
func (p Phone) Key() string {
	if p.Digits == "" {
		return ""
	}
	switch p.Kind {
	case PhoneMobile:
		return "m:" + p.Digits
	case PhoneLandline:
		return "l:" + p.Digits
	case PhoneOther:
		// 15 is the E.164 maximum; longer strings are not one phone number.
		if n := len(strings.TrimPrefix(p.Digits, "+")); n >= 7 && n <= 15 {
			return "o:" + p.Digits
		}
	}
	return ""
}

// MaskKey is the weak form of a mobile number: its first three and last four
// digits, the way platforms mask it (138****5678). A masked number and a full
// one with those digits share it — and so do ten thousand other numbers, so
// it is only ever a weak signal.
func (p Phone) MaskKey() string {
	d := p.Digits
	if len(d) != 11 || (p.Kind != PhoneMobile && p.Kind != PhoneMasked) {
		return ""
	}
	for _, c := range d[:3] + d[7:] {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return "pm:" + d[:3] + d[7:]
}

// NormalizePhone parses a phone number as people type it: full-width
// characters, spaces, dashes, dots, parentheses, +86 / 0086 / 86 prefixes and
// masks. Labels and other letters are ignored. Extensions are not recognised.
// NormalizePhone(p.Digits) == p for every result p.
func NormalizePhone(s string) Phone {
	var buf [32]byte
	b := buf[:0]
	plus, masked := false, false
	run := false // the previous significant rune was a digit or a mask
	for _, r := range s {
		r = foldWidthRune(r)
		switch {
		case r >= '0' && r <= '9':
			b = append(b, byte(r))
			run = true
		case r == '*' || r == '∗' || r == '﹡' ||
			(run && (r == 'x' || r == 'X' || r == '×')):
			// x only counts inside a digit run so "ext" or "tel" is not a mask.
			b = append(b, '*')
			masked, run = true, true
		case r == '+' && len(b) == 0:
			plus = true
		case isPhoneSeparator(r):
			// Separators do not end a digit run: "138 xxxx 5678".
		default:
			run = false
		}
	}

	d := b
	intl, via86 := plus, false
	for {
		if len(d) >= 2 && d[0] == '0' && d[1] == '0' {
			d, intl = d[2:], true
			continue
		}
		if intl && len(d) >= 2 && d[0] == '8' && d[1] == '6' {
			d, intl, via86 = d[2:], false, true
			continue
		}
		break
	}
	if !hasASCIIDigit(d) {
		return Phone{}
	}
	if intl {
		k := PhoneOther
		if masked {
			k = PhoneMasked
		}
		return Phone{Digits: "+" + string(d), Kind: k}
	}
	if masked {
		if len(d) == 13 && d[0] == '8' && d[1] == '6' && d[2] == '1' {
			d = d[2:]
		}
		return Phone{Digits: string(d), Kind: PhoneMasked}
	}
	switch {
	case isCNMobile(d):
		return Phone{Digits: string(d), Kind: PhoneMobile}
	case len(d) == 12 && d[0] == '0' && isCNMobile(d[1:]):
		// Old habit of dialling a trunk 0 before a mobile.
		return Phone{Digits: string(d[1:]), Kind: PhoneMobile}
	case len(d) == 13 && d[0] == '8' && d[1] == '6' && isCNMobile(d[2:]):
		return Phone{Digits: string(d[2:]), Kind: PhoneMobile}
	case len(d) >= 10 && len(d) <= 12 && d[0] == '0' && d[1] != '0':
		// Area code (3-4 digits with the 0) + 7-8 digit local number.
		return Phone{Digits: string(d), Kind: PhoneLandline}
	case via86 && len(d) >= 9 && len(d) <= 11 &&
		(d[0] >= '2' || (d[0] == '1' && d[1] == '0')):
		// International form drops the trunk 0: +86 571 8888 0000, +86 10 ...
		return Phone{Digits: "0" + string(d), Kind: PhoneLandline}
	}
	return Phone{Digits: string(d), Kind: PhoneOther}
}

func isCNMobile(d []byte) bool {
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return false
	}
	for _, c := range d[2:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func hasASCIIDigit(d []byte) bool {
	for _, c := range d {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

func isPhoneSeparator(r rune) bool {
	switch r {
	case '-', '.', '(', ')', '/', '_', '\u00b7':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r)
}

// foldWidthRune maps full-width ASCII variants and the ideographic space to
// ASCII. It is the cheap subset of width folding that phones, waybills and
// names need.
func foldWidthRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// ---------------------------------------------------------------------------
// Waybill numbers

// NormalizeTracking returns a waybill number's canonical form: width-folded,
// upper case, ASCII letters and digits only. It returns "" for garbage that
// must not link refunds: no digit, fewer than 6 characters, or one character
// repeated ("0000000000" is a common placeholder).
func NormalizeTracking(s string) string {
	var buf [40]byte
	b := buf[:0]
	digit := false
	for _, r := range s {
		r = foldWidthRune(r)
		switch {
		case r >= '0' && r <= '9':
			digit = true
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r))
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		}
	}
	if !digit || len(b) < 6 {
		return ""
	}
	same := true
	for _, c := range b[1:] {
		if c != b[0] {
			same = false
			break
		}
	}
	if same {
		return ""
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// Names

// NormalizeName width-folds a person's name and removes all spaces and
// invisible characters. Letter case is kept. The various middle dots used in
// transliterated names (买买提·艾力) become U+00B7.
func NormalizeName(s string) string {
	s = width.Fold.String(s)
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.IsControl(r):
			continue
		case r == '•' || r == '・' || r == '‧' || r == '∙' || r == '⋅' || r == '●':
			r = '·'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// ---------------------------------------------------------------------------
// Addresses
//
// Canonical form: "city|district|street", each part lower-case letters and
// digits only (a '-' marks where two digit groups were separated, so 3-201 and
// 32-01 stay apart), administrative suffixes stripped from city and district,
// and the street line without leading repeats of province/city/district.
//
// Decisions:
//   - The province never enters the key: people often omit it.
//   - Municipalities (北京 上海 天津 重庆): the province becomes the city when
//     the city is empty or a placeholder (市辖区, 县); {北京, 朝阳区, ""} is read
//     as city 北京, district 朝阳.
//   - A missing city is recovered from a street line that spells it
//     ("杭州市西湖区…" with district 西湖区). Otherwise the city stays empty and
//     the key differs from the same address with its city: we have no
//     district→city table, and dropping the city would merge 朝阳区 of 北京 and
//     of 长春.
//   - A missing district is not recovered: the street line's first "…区" is
//     too often a residential estate (小区, 园区, 科技园南区).
//   - An address with neither city nor district, or with a street shorter
//     than 4 characters after normalization, gets no key.
//   - Chinese numerals (三栋) are not converted: 三 is also part of names.

// minStreetRunes is the shortest street line that still names one place.
const minStreetRunes = 4

// AddressKey is a short stable key for "the same place", for linking buyer
// accounts; "" when the address is too empty to link. It is "a:" and the hex of
// the first 12 bytes of the SHA-256 of CanonicalAddress, so it fits in a Redis
// key.
func AddressKey(a event.Address) string {
	city, dist, street, ok := canonicalAddressParts(a)
	if !ok {
		return ""
	}
	var buf [192]byte
	b := append(buf[:0], city...)
	b = append(b, '|')
	b = append(b, dist...)
	b = append(b, '|')
	b = append(b, street...)
	sum := sha256.Sum256(b)
	var out [2 + 24]byte
	out[0], out[1] = 'a', ':'
	hex.Encode(out[2:], sum[:12])
	return string(out[:])
}

// CanonicalAddress is the readable form AddressKey hashes, "city|district|street"
// (e.g. "杭州|西湖|文三路100号3栋201"), for evidence and tests; "" exactly when
// AddressKey is "".
func CanonicalAddress(a event.Address) string {
	city, dist, street, ok := canonicalAddressParts(a)
	if !ok {
		return ""
	}
	return city + "|" + dist + "|" + street
}

func canonicalAddressParts(a event.Address) (city, dist, street string, ok bool) {
	prov := adminBase(cleanAddrText(a.Province, false))
	rawCity := cleanAddrText(a.City, false)
	city = adminBase(rawCity)
	dist = adminBase(cleanAddrText(a.District, false))
	if isPlaceholderCity(rawCity) {
		city = ""
	}
	if isMunicipality(prov) {
		switch {
		case city == "":
			city = prov
		case city != prov && dist == "":
			// {北京, 朝阳区, ""}: the district was given as the city.
			city, dist = prov, city
		}
	}

	street = foldStreet(cleanAddrText(a.Address, true))
	// Strip leading repeats until none is left, so that "X"+s and s give the
	// same result whichever prefixes a person typed.
	for {
		s, next := stripAddrPrefix(street, prov, &city, dist)
		if !next {
			break
		}
		street = s
	}
	if city == "" && dist == "" || !hasRunes(street, minStreetRunes) {
		return "", "", "", false
	}
	return city, dist, street, true
}

// cleanAddrText applies NFKC (which folds full-width forms), lower-cases, and
// keeps letters and digits only. A separator between two digits becomes '-'.
// In a street line a '#' after a digit means 号 (3#楼 = 3号楼).
func cleanAddrText(s string, street bool) string {
	if isNFKCTrivial(s) {
		// The usual input: skip the normalizer, and the result (a subset of
		// the runes plus '-' and 号) is trivially normal too.
		return cleanAddrOnce(s, street)
	}
	for range 8 { // NFKC after filtering rarely changes anything; bound it anyway
		s = cleanAddrOnce(norm.NFKC.String(s), street)
		if norm.NFKC.IsNormalString(s) {
			break
		}
	}
	return s
}

func cleanAddrOnce(s string, street bool) string {
	if isCleanAddrText(s) {
		return s // the common case for structured fields: no copy
	}
	var sb strings.Builder
	sb.Grow(len(s))
	lastDigit, sep := false, false
	for _, r := range s {
		if street && r == '#' && lastDigit {
			r = '号'
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Nl, r) {
			sep = sb.Len() > 0
			continue
		}
		r = unicode.ToLower(r)
		d := unicode.IsDigit(r)
		if sep && lastDigit && d {
			sb.WriteByte('-')
		}
		sb.WriteRune(r)
		lastDigit, sep = d, false
	}
	return sb.String()
}

// isNFKCTrivial reports whether s has only ASCII and CJK unified ideographs
// (no decompositions, no combining): then NFKC(s) == s.
func isNFKCTrivial(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && (r < 0x4E00 || r > 0x9FFF) {
			return false
		}
	}
	return true
}

// isCleanAddrText reports whether cleanAddrOnce would return s unchanged.
func isCleanAddrText(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' {
				continue
			}
			return false
		}
		if r >= 0x4E00 && r <= 0x9FFF {
			continue // CJK ideographs: letters without case
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Nl, r) ||
			unicode.ToLower(r) != r {
			return false
		}
	}
	return true
}

// foldStreet unifies common spellings in a cleaned street line: 幢 and
// <digits>号楼 → 栋; 室 or 房 right after digits is dropped (201室 → 201).
// 号 is kept everywhere: 100号 is a house number, not a building.
func foldStreet(s string) string {
	if !strings.ContainsAny(s, "幢楼室房") {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	lastDigit := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '幢':
			r = '栋'
		case r == '号' && lastDigit && strings.HasPrefix(s[i:], "楼"):
			r = '栋'
			i += len("楼")
		case (r == '室' || r == '房') && lastDigit:
			continue
		}
		sb.WriteRune(r)
		lastDigit = r >= '0' && r <= '9'
	}
	return sb.String()
}

// adminSuffixes are stripped from the end of province/city/district names,
// longest first. 州 is not one: 杭州 is a name, not 杭 + suffix.
var adminSuffixes = [...]string{
	"特别行政区", "自治区", "自治州", "自治县", "自治旗",
	"新区", "林区", "地区", "省", "市", "区", "县", "盟", "旗",
}

// autonomySuffixes follow ethnic group names: 延边朝鲜族自治州.
var autonomySuffixes = [...]string{"自治区", "自治州", "自治县", "自治旗"}

// ethnicGroups are the minority names that appear in the names of autonomous
// areas (各族 included). 新疆维吾尔自治区 is the one official name without 族.
var ethnicGroups = [...]string{
	"蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族",
	"朝鲜族", "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族",
	"傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
	"东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族",
	"羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族",
	"普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族",
	"德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族",
	"赫哲族", "门巴族", "珞巴族", "基诺族", "各族", "维吾尔",
}

// provinces are the provincial-level names, stripped from the start of a street
// line even when the province field is empty.
var provinces = [...]string{
	"北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江",
	"江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南",
	"广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾",
	"内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
}

func isMunicipality(s string) bool {
	return s == "北京" || s == "上海" || s == "天津" || s == "重庆"
}

// isPlaceholderCity reports city values that data sources use for "no city".
func isPlaceholderCity(s string) bool {
	switch s {
	case "市辖区", "县", "郊县", "省直辖县级行政区划", "自治区直辖县级行政区划":
		return true
	}
	return false
}

// adminBase strips administrative suffixes (and the ethnic names before
// 自治X) while at least 2 characters remain: 南山区 → 南山, 广西壮族自治区 →
// 广西, 浦东新区 → 浦东, but 城区, 沙县 and 东区 stay whole. It is a fixed point:
// adminBase(adminBase(s)) == adminBase(s).
func adminBase(s string) string {
	for {
		t := s
		for _, suf := range adminSuffixes {
			if strings.HasSuffix(s, suf) && hasRunes(s[:len(s)-len(suf)], 2) {
				s = s[:len(s)-len(suf)]
				if strings.HasPrefix(suf, "自治") {
					s = stripEthnicSuffix(s)
				}
				break
			}
		}
		if s == t {
			return s
		}
	}
}

// hasRunes reports whether s has at least n runes, without counting them all.
func hasRunes(s string, n int) bool {
	for range s {
		if n--; n <= 0 {
			return true
		}
	}
	return n <= 0
}

func stripEthnicSuffix(s string) string {
	for {
		t := s
		for _, e := range ethnicGroups {
			if strings.HasSuffix(s, e) && hasRunes(s[:len(s)-len(e)], 2) {
				s = s[:len(s)-len(e)]
				break
			}
		}
		if s == t {
			return s
		}
	}
}

// adminSuffixLen is the byte length of an administrative suffix at the start of
// s (ethnic names + 自治X included), or 0.
func adminSuffixLen(s string) int {
	n := 0
	// Real names list at most three groups (积石山保安族东乡族撒拉族自治县);
	// the bound keeps repeated stripping linear on hostile input.
	for i, again := 0, true; again && i < 4; i++ {
		again = false
		for _, e := range ethnicGroups {
			if strings.HasPrefix(s[n:], e) {
				n += len(e)
				again = true
				break
			}
		}
	}
	if n > 0 {
		for _, suf := range autonomySuffixes {
			if strings.HasPrefix(s[n:], suf) {
				return n + len(suf)
			}
		}
	}
	for _, suf := range adminSuffixes {
		if strings.HasPrefix(s, suf) {
			if suf == "市" && startsWithAnyRune(s[len(suf):], "场民政") {
				continue // 深圳市民中心, 南山市场: 市 belongs to the next word
			}
			return len(suf)
		}
	}
	return 0
}

// streetWordStarts are characters that, right after a bare place name, show
// that the name is part of a street or landmark: 南山大道, 浙江中路, 西湖街道.
const streetWordStarts = "路街道巷弄胡里村镇乡屯庄寨堡营大中东西南北新老桥湾港口河江湖山岛门坊市-"

func startsWithAnyRune(s, set string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && strings.ContainsRune(set, r)
}

// stripAdminName strips a leading name from s: name + suffix always; the bare
// name only when a lower-level name follows, or (unless strict) when what
// follows does not look like the rest of a street name.
func stripAdminName(s, name string, strict bool, lower1, lower2 string) (string, bool) {
	if !strings.HasPrefix(s, name) || !hasRunes(name, 2) {
		return s, false
	}
	rest := s[len(name):]
	if rest == "" {
		return s, false
	}
	if n := adminSuffixLen(rest); n > 0 {
		return rest[n:], true
	}
	if endsWithAdminSuffix(name) {
		return rest, true // a name kept whole (城区, 沙县) is its own full form
	}
	if prefixName(rest, lower1) || prefixName(rest, lower2) {
		return rest, true
	}
	if strict || startsWithAnyRune(rest, streetWordStarts) {
		return s, false
	}
	return rest, true
}

func endsWithAdminSuffix(s string) bool {
	for _, suf := range adminSuffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

func prefixName(s, name string) bool {
	return hasRunes(name, 2) && strings.HasPrefix(s, name)
}

// stripAddrPrefix removes one leading repeat of an administrative name from
// the street line. It may fill in an empty city from the street line.
func stripAddrPrefix(s, prov string, city *string, dist string) (string, bool) {
	if r, ok := stripAdminName(s, prov, false, *city, dist); ok {
		return r, true
	}
	if r, ok := stripAdminName(s, *city, false, dist, ""); ok {
		return r, true
	}
	if r, ok := stripAdminName(s, dist, false, "", ""); ok {
		return r, true
	}
	// Names not taken from the fields are stripped only with a suffix or before
	// a lower level: 上海 has a 浙江中路 and a 北京东路.
	if rest, ok := strings.CutPrefix(s, "中国"); ok && (startsWithProvince(rest) ||
		prefixName(rest, prov) || prefixName(rest, *city) || prefixName(rest, dist)) {
		return rest, true
	}
	for _, p := range provinces {
		if r, ok := stripAdminName(s, p, true, *city, dist); ok {
			if *city == "" && isMunicipality(p) {
				*city = p
			}
			return r, true
		}
	}
	if *city == "" {
		return inferCity(s, city, dist)
	}
	return s, false
}

func startsWithProvince(s string) bool {
	for _, p := range provinces {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// inferCity recovers a missing city from "<city>市<district>…", e.g.
// "杭州市西湖区文三路" or "浙江杭州市西湖区文三路" with district 西湖.
func inferCity(s string, city *string, dist string) (string, bool) {
	if !hasRunes(dist, 2) {
		return s, false
	}
	i := 0
	for at, r := range s {
		if i > 8 {
			break
		}
		if r == '市' {
			after := s[at+len("市"):]
			if i < 2 || !strings.HasPrefix(after, dist) {
				return s, false
			}
			c := s[:at]
			for _, p := range provinces {
				if rest, ok := strings.CutPrefix(c, p); ok && hasRunes(rest, 2) {
					c = rest
					break
				}
			}
			if c = adminBase(c); !hasRunes(c, 2) {
				return s, false
			}
			*city = c
			return after, true
		}
		i++
	}
	return s, false
}
