package rules

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sellerguard/sellerguard/event"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in     string
		digits string
		kind   PhoneKind
		key    string
	}{
		// One mobile, many spellings.
		{"13900001111", "13900001111", PhoneMobile, "m:13900001111"},
		{"+86 139-0000-1111", "13900001111", PhoneMobile, "m:13900001111"},
		{"139 0000 1111", "13900001111", PhoneMobile, "m:13900001111"},
		{"(+86)13900001111", "13900001111", PhoneMobile, "m:13900001111"},
		{"0086-139-0000-1111", "13900001111", PhoneMobile, "m:13900001111"},
		{"８６１３９００００１１１１", "13900001111", PhoneMobile, "m:13900001111"},
		{"＋８６　１３９－００００－１１１１", "13900001111", PhoneMobile, "m:13900001111"},
		{"（＋８６）139.0000.1111", "13900001111", PhoneMobile, "m:13900001111"},
		{"8613900001111", "13900001111", PhoneMobile, "m:13900001111"},
		{"013900001111", "13900001111", PhoneMobile, "m:13900001111"},
		{"+86 0086 13900001111", "13900001111", PhoneMobile, "m:13900001111"},
		{"tel: 139 0000 1111", "13900001111", PhoneMobile, "m:13900001111"},
		{"手机：13900001111", "13900001111", PhoneMobile, "m:13900001111"},
		{"139—0000—1111", "13900001111", PhoneMobile, "m:13900001111"},
		{"13800138000", "13800138000", PhoneMobile, "m:13800138000"},
		{"19912345678", "19912345678", PhoneMobile, "m:19912345678"},
		// Not mobiles.
		{"12345678901", "12345678901", PhoneOther, "o:12345678901"},
		{"1390000111", "1390000111", PhoneOther, "o:1390000111"},
		{"139000011112", "139000011112", PhoneOther, "o:139000011112"},
		{"8612345678901", "8612345678901", PhoneOther, "o:8612345678901"},
		// Landlines.
		{"0571-88880000", "057188880000", PhoneLandline, "l:057188880000"},
		{"(0571) 8888 0000", "057188880000", PhoneLandline, "l:057188880000"},
		{"+86 571 8888 0000", "057188880000", PhoneLandline, "l:057188880000"},
		{"+86-0571-88880000", "057188880000", PhoneLandline, "l:057188880000"},
		{"010-88880000", "01088880000", PhoneLandline, "l:01088880000"},
		{"+86 10 8888 0000", "01088880000", PhoneLandline, "l:01088880000"},
		{"0755-8888888", "07558888888", PhoneLandline, "l:07558888888"},
		// Masked: weak signal, never a key.
		{"138****5678", "138****5678", PhoneMasked, ""},
		{"138 **** 5678", "138****5678", PhoneMasked, ""},
		{"138＊＊＊＊5678", "138****5678", PhoneMasked, ""},
		{"138xxxx5678", "138****5678", PhoneMasked, ""},
		{"+86 138****5678", "138****5678", PhoneMasked, ""},
		{"86138****5678", "138****5678", PhoneMasked, ""},
		{"+1 415***0100", "+1415***0100", PhoneMasked, ""},
		// Foreign and odd numbers.
		{"+1 415 555 0100", "+14155550100", PhoneOther, "o:+14155550100"},
		{"001 415 555 0100", "+14155550100", PhoneOther, "o:+14155550100"},
		{"+852 9123 4567", "+85291234567", PhoneOther, "o:+85291234567"},
		{"88880000", "88880000", PhoneOther, "o:88880000"},
		{"400-820-8820", "4008208820", PhoneOther, "o:4008208820"},
		{"95588", "95588", PhoneOther, ""},
		{"+1", "+1", PhoneOther, ""},
		{"1234567890123456", "1234567890123456", PhoneOther, ""},
		// Garbage.
		{"", "", PhoneNone, ""},
		{"   ", "", PhoneNone, ""},
		{"无", "", PhoneNone, ""},
		{"+86", "", PhoneNone, ""},
		{"0086", "", PhoneNone, ""},
		{"***********", "", PhoneNone, ""},
		{"ext", "", PhoneNone, ""},
	}
	for _, tt := range tests {
		p := NormalizePhone(tt.in)
		if p.Digits != tt.digits || p.Kind != tt.kind {
			t.Errorf("NormalizePhone(%q) = {%q %v}, want {%q %v}", tt.in, p.Digits, p.Kind, tt.digits, tt.kind)
		}
		if k := p.Key(); k != tt.key {
			t.Errorf("NormalizePhone(%q).Key() = %q, want %q", tt.in, k, tt.key)
		}
		if again := NormalizePhone(p.Digits); again != p {
			t.Errorf("NormalizePhone(%q) = %+v, not a fixed point: %+v", p.Digits, p, again)
		}
	}
}

func TestPhoneKindString(t *testing.T) {
	want := map[PhoneKind]string{
		PhoneNone: "none", PhoneMobile: "mobile", PhoneLandline: "landline",
		PhoneMasked: "masked", PhoneOther: "other", PhoneKind(99): "unknown",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("PhoneKind(%d).String() = %q, want %q", k, k.String(), s)
		}
	}
}

func TestAddressKeySame(t *testing.T) {
	groups := [][]event.Address{
		{
			{Province: "广东", City: "深圳", District: "南山区", Address: "科技园南区８栋１０１"},
			{Province: "广东省", City: "深圳市", District: "南山区", Address: "科技园南区8栋101"},
			{Province: "广东省", City: "深圳市", District: "南山区", Address: "广东省深圳市南山区科技园南区8栋101"},
			{Province: "广东省", City: "深圳市", District: "南山区", Address: "深圳南山科技园南区8栋101"},
			{Province: "", City: "深圳", District: "南山", Address: "广东深圳南山科技园南区 8 栋 101"},
			{Province: "广东", City: "深圳", District: "南山区", Address: "中国广东省深圳市南山区科技园南区8幢101室"},
			{City: "深圳", District: "南山区", Address: "科技园南区8号楼101房"},
		},
		{
			{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路 100号 3幢 201室"},
			{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3幢201室"},
			{Province: "", City: "杭州", District: "西湖区", Address: "浙江省杭州市西湖区文三路100号3栋201"},
			{Province: "浙江", City: "杭州", District: "西湖", Address: "文三路100号3号楼201"},
			{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路　100号，3幢－201室。"},
			{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3#楼201"},
			// City missing: recovered from the street line.
			{Province: "浙江省", City: "", District: "西湖区", Address: "浙江省杭州市西湖区文三路100号3栋201室"},
			{District: "西湖区", Address: "浙江杭州市西湖区文三路100号3栋201"},
		},
		{
			{Province: "北京", City: "市辖区", District: "朝阳区", Address: "北京市朝阳区建国路88号"},
			{Province: "北京市", City: "北京市", District: "朝阳区", Address: "建国路88号"},
			{Province: "北京", City: "", District: "朝阳区", Address: "建国路88号"},
			{Province: "北京", City: "朝阳区", District: "", Address: "建国路 88 号"},
			{Province: "", City: "", District: "朝阳区", Address: "北京市朝阳区建国路88号"},
		},
		{
			{Province: "广西壮族自治区", City: "南宁市", District: "青秀区", Address: "民族大道1号"},
			{Province: "广西", City: "南宁", District: "青秀区", Address: "广西壮族自治区南宁市青秀区民族大道1号"},
			{Province: "广西", City: "南宁", District: "青秀", Address: "广西南宁青秀民族大道1号"},
		},
		{
			{Province: "吉林省", City: "延边朝鲜族自治州", District: "延吉市", Address: "光明街1号"},
			{Province: "吉林", City: "延边", District: "延吉", Address: "吉林省延边朝鲜族自治州延吉市光明街1号"},
		},
		// A street named like its district: 南山大道 stays whole either way.
		{
			{City: "深圳", District: "南山区", Address: "南山大道1000号"},
			{City: "深圳", District: "南山区", Address: "南山区南山大道1000号"},
			{City: "深圳市", District: "南山区", Address: "深圳市南山区南山大道１０００号"},
		},
		{
			{Province: "上海", City: "上海", District: "浦东新区", Address: "世纪大道100号"},
			{Province: "上海市", City: "市辖区", District: "浦东区", Address: "上海市浦东新区世纪大道100号"},
		},
		{
			{City: "Hangzhou", District: "Xihu", Address: "Wensan Road 100, Bldg 3-201"},
			{City: "ＨＡＮＧＺＨＯＵ", District: "xihu", Address: "wensan road 100 bldg 3 201"},
		},
	}
	for gi, g := range groups {
		want := AddressKey(g[0])
		if want == "" {
			t.Fatalf("group %d: AddressKey(%+v) is empty", gi, g[0])
		}
		for _, a := range g[1:] {
			if got := AddressKey(a); got != want {
				t.Errorf("group %d: AddressKey(%+v) = %q (%q), want %q (%q)",
					gi, a, got, CanonicalAddress(a), want, CanonicalAddress(g[0]))
			}
		}
	}
}

func TestAddressKeyIgnoresProvince(t *testing.T) {
	for _, a := range []event.Address{
		{Province: "广东省", City: "深圳市", District: "南山区", Address: "科技园南区8栋101"},
		{Province: "广东省", City: "深圳市", District: "南山区", Address: "广东省深圳市南山区科技园南区8栋101"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "广东深圳南山科技园南区8栋101"},
		{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "浙江省杭州市西湖区文三路100号3栋201"},
		{Province: "广西壮族自治区", City: "南宁市", District: "青秀区", Address: "广西壮族自治区南宁市青秀区民族大道1号"},
		{Province: "北京市", City: "北京市", District: "朝阳区", Address: "北京市朝阳区建国路88号"},
	} {
		b := a
		b.Province = ""
		if ka, kb := AddressKey(a), AddressKey(b); ka == "" || ka != kb {
			t.Errorf("AddressKey(%+v) = %q, without province %q (%q vs %q)",
				a, ka, kb, CanonicalAddress(a), CanonicalAddress(b))
		}
	}
}

func TestAddressKeyDiffer(t *testing.T) {
	base := event.Address{Province: "广东省", City: "深圳市", District: "南山区", Address: "科技园南区8栋101"}
	with := func(f func(*event.Address)) event.Address {
		a := base
		f(&a)
		return a
	}
	hz := event.Address{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路100号3栋201"}
	hzWith := func(street string) event.Address {
		a := hz
		a.Address = street
		return a
	}
	pairs := [][2]event.Address{
		{base, with(func(a *event.Address) { a.Address = "科技园南区8栋102" })},
		{base, with(func(a *event.Address) { a.Address = "科技园南区18栋101" })},
		{base, with(func(a *event.Address) { a.Address = "科技园北区8栋101" })},
		{base, with(func(a *event.Address) { a.District = "福田区" })},
		{base, with(func(a *event.Address) { a.City = "广州市" })},
		{hz, hzWith("文三路100号13栋201")},
		{hz, hzWith("文三路100号3栋202")},
		{hz, hzWith("文三路10号3栋201")},
		{hz, hzWith("文二路100号3栋201")},
		// Separated digit groups stay apart.
		{hzWith("文三路100号3-201"), hzWith("文三路100号32-01")},
		{hzWith("文三路100号3-2-201"), hzWith("文三路100号32-201")},
		// Same district name, different cities.
		{
			{Province: "北京", City: "北京", District: "朝阳区", Address: "建国路88号"},
			{Province: "吉林", City: "长春", District: "朝阳区", Address: "建国路88号"},
		},
		// Province-named streets in 上海 are not province prefixes.
		{
			{Province: "上海", City: "上海", District: "黄浦区", Address: "浙江中路100号"},
			{Province: "上海", City: "上海", District: "黄浦区", Address: "福建中路100号"},
		},
		// A missing city is not guessed.
		{
			{City: "杭州", District: "西湖区", Address: "文三路100号3栋201"},
			{District: "西湖区", Address: "文三路100号3栋201"},
		},
		// A missing district is not guessed.
		{base, with(func(a *event.Address) { a.District, a.Address = "", "南山区科技园南区8栋101" })},
	}
	for _, p := range pairs {
		k0, k1 := AddressKey(p[0]), AddressKey(p[1])
		if k0 == "" || k1 == "" {
			t.Errorf("empty key: %+v -> %q, %+v -> %q", p[0], k0, p[1], k1)
			continue
		}
		if k0 == k1 {
			t.Errorf("same key %q for %+v (%q) and %+v (%q)",
				k0, p[0], CanonicalAddress(p[0]), p[1], CanonicalAddress(p[1]))
		}
	}
}

func TestCanonicalAddress(t *testing.T) {
	tests := []struct {
		in   event.Address
		want string
	}{
		{event.Address{Province: "广东", City: "深圳", District: "南山区", Address: "科技园南区８栋１０１"}, "深圳|南山|科技园南区8栋101"},
		{event.Address{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路 100号 3幢 201室"}, "杭州|西湖|文三路100号3栋201"},
		{event.Address{City: "杭州", District: "西湖区", Address: "浙江省杭州市西湖区文三路100号3栋201"}, "杭州|西湖|文三路100号3栋201"},
		{event.Address{Province: "浙江省", City: "杭州市", District: "余杭区", Address: "仓前街道 良睦路 1号 退货仓"}, "杭州|余杭|仓前街道良睦路1号退货仓"},
		{event.Address{Province: "北京", City: "市辖区", District: "朝阳区", Address: "北京市朝阳区建国路88号"}, "北京|朝阳|建国路88号"},
		{event.Address{Province: "上海", City: "上海", District: "黄浦区", Address: "浙江中路100号"}, "上海|黄浦|浙江中路100号"},
		{event.Address{City: "深圳", District: "南山区", Address: "南山区南山大道1000号"}, "深圳|南山|南山大道1000号"},
		{event.Address{City: "深圳", District: "福田区", Address: "深圳市民中心A区"}, "深圳|福田|深圳市民中心a区"},
		{event.Address{City: "深圳", District: "南山区", Address: "阳光小区３＃楼２０１房"}, "深圳|南山|阳光小区3栋201"},
		{event.Address{City: "深圳", District: "南山区", Address: "阳光小区3-2-201"}, "深圳|南山|阳光小区3-2-201"},
		{event.Address{City: "深圳", District: "南山区", Address: "阳光小区 3 单元 201"}, "深圳|南山|阳光小区3单元201"},
		{event.Address{Province: "吉林省", City: "延边朝鲜族自治州", District: "延吉市", Address: "光明街1号"}, "延边|延吉|光明街1号"},
		{event.Address{Province: "山西", City: "阳泉市", District: "城区", Address: "城区北大街1号"}, "阳泉|城区|北大街1号"},
		{event.Address{City: "三明", District: "沙县区", Address: "沙县府西路1号"}, "三明|沙县|府西路1号"},
		{event.Address{City: "三明", District: "沙县", Address: "沙县区府西路1号"}, "三明|沙县|府西路1号"},
		{event.Address{Province: "北京", District: "朝阳区", Address: "朝阳门外大街1号"}, "北京|朝阳|朝阳门外大街1号"},
		{event.Address{City: "杭州", Address: "文三路100号3栋201"}, "杭州||文三路100号3栋201"},
		{event.Address{District: "西湖区", Address: "文三路100号3栋201"}, "|西湖|文三路100号3栋201"},
	}
	for _, tt := range tests {
		if got := CanonicalAddress(tt.in); got != tt.want {
			t.Errorf("CanonicalAddress(%+v) = %q, want %q", tt.in, got, tt.want)
		}
		checkAddressFixedPoint(t, tt.in)
	}
}

func TestAddressKeyTooEmpty(t *testing.T) {
	for _, a := range []event.Address{
		{},
		{Province: "广东", City: "深圳", District: "南山区"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "   "},
		{Province: "广东", City: "深圳", District: "南山区", Address: "101"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "科技园"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "广东省深圳市南山区"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "深圳南山1号"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "—，。、（）#·"},
		// Neither city nor district: the street alone could be anywhere.
		{Province: "广东", Address: "科技园南区8栋101"},
		{Address: "广东省深圳市南山区科技园南区8栋101"},
	} {
		if k, c := AddressKey(a), CanonicalAddress(a); k != "" || c != "" {
			t.Errorf("AddressKey(%+v) = %q (%q), want empty", a, k, c)
		}
	}
}

var addressKeyRE = regexp.MustCompile(`^a:[0-9a-f]{24}$`)

func TestAddressKeyFormat(t *testing.T) {
	a := event.Address{Province: "广东", City: "深圳", District: "南山区", Address: "科技园南区8栋101"}
	k := AddressKey(a)
	if !addressKeyRE.MatchString(k) {
		t.Fatalf("AddressKey = %q, want a:<24 hex>", k)
	}
	// Pinned: keys are stored in Redis, so they must not change silently.
	if want := "a:0b3eb44316000e92ccb09628"; k != want {
		t.Errorf("AddressKey = %q, want %q", k, want)
	}
	// Name and phone are not part of the place.
	a.Name, a.Phone = "李强", "13900001111"
	if got := AddressKey(a); got != k {
		t.Errorf("AddressKey depends on name/phone: %q vs %q", got, k)
	}
}

func TestAdminBase(t *testing.T) {
	tests := map[string]string{
		"南山区":        "南山",
		"南山":         "南山",
		"广东省":        "广东",
		"深圳市":        "深圳",
		"杭州":         "杭州",
		"东区":         "东区",
		"城区":         "城区",
		"新区":         "新区",
		"沙县":         "沙县",
		"沙县区":        "沙县",
		"市中区":        "市中",
		"新市区":        "新市",
		"西林区":        "西林",
		"神农架林区":      "神农架",
		"浦东新区":       "浦东",
		"阿里地区":       "阿里",
		"锡林郭勒盟":      "锡林郭勒",
		"正蓝旗":        "正蓝",
		"淳安县":        "淳安",
		"义乌市":        "义乌",
		"香港特别行政区":    "香港",
		"内蒙古自治区":     "内蒙古",
		"广西壮族自治区":    "广西",
		"宁夏回族自治区":    "宁夏",
		"新疆维吾尔自治区":   "新疆",
		"延边朝鲜族自治州":   "延边",
		"恩施土家族苗族自治州": "恩施",
		"镇宁布依族苗族自治县": "镇宁",
		"鄂温克族自治旗":    "鄂温克族", // the name is the group: keep it
		"":           "",
	}
	for in, want := range tests {
		if got := adminBase(in); got != want {
			t.Errorf("adminBase(%q) = %q, want %q", in, got, want)
		}
		if again := adminBase(want); again != want {
			t.Errorf("adminBase(%q) = %q, not a fixed point", want, again)
		}
	}
}

// checkAddressFixedPoint asserts that feeding a canonical form back in as an
// address gives the same canonical form.
func checkAddressFixedPoint(t *testing.T, a event.Address) {
	t.Helper()
	c := CanonicalAddress(a)
	if c == "" {
		return
	}
	parts := strings.Split(c, "|")
	if len(parts) != 3 {
		t.Fatalf("CanonicalAddress(%+v) = %q: not 3 parts", a, c)
	}
	b := event.Address{City: parts[0], District: parts[1], Address: parts[2]}
	if c2 := CanonicalAddress(b); c2 != c {
		t.Errorf("CanonicalAddress(%+v) = %q, but of its parts %q", a, c, c2)
	}
}

func TestNormalizeTracking(t *testing.T) {
	tests := map[string]string{
		"yt 7512-3456 78901": "YT7512345678901",
		"YT7512345678901":    "YT7512345678901",
		"ＹＴ７５１２３４５６７８９０１":       "YT7512345678901",
		" sf-1402 3388 4120 7 ": "SF1402338841207",
		"75123456789012":        "75123456789012",
		"JT.0001/2345_6789":     "JT000123456789",
		"顺丰 SF1402338841207":    "SF1402338841207",
		"":                      "",
		"   ":                   "",
		"无":                     "",
		"N/A":                   "",
		"none":                  "",
		"12345":                 "",
		"0000000000":            "",
		"--------":              "",
	}
	for in, want := range tests {
		if got := NormalizeTracking(in); got != want {
			t.Errorf("NormalizeTracking(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := map[string]string{
		" 张 丽 ":       "张丽",
		"张\u200b丽":    "张丽",
		"Ｚｈａｎｇ　Ｌｉ":    "ZhangLi",
		"买买提・艾力":      "买买提·艾力",
		"买买提•艾力":      "买买提·艾力",
		"李先生":         "李先生",
		"":            "",
		"\t\n\u3000 ": "",
	}
	for in, want := range tests {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"13900001111", "+86 139-0000-1111", "８６１３９００００１１１１", "138****5678",
		"0571-88880000", "+1 415 555 0100", "0086", "+0086 86 0 x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := NormalizePhone(s)
		if p != NormalizePhone(s) {
			t.Fatalf("not deterministic for %q", s)
		}
		if (p.Kind == PhoneNone) != (p.Digits == "") {
			t.Fatalf("NormalizePhone(%q) = %+v: kind and digits disagree", s, p)
		}
		for i, c := range []byte(p.Digits) {
			if !(c >= '0' && c <= '9' || c == '*' && p.Kind == PhoneMasked || c == '+' && i == 0) {
				t.Fatalf("NormalizePhone(%q) = %+v: bad digit %q", s, p, c)
			}
		}
		if p.Kind == PhoneMobile && !isCNMobile([]byte(p.Digits)) {
			t.Fatalf("NormalizePhone(%q) = %+v: not a mobile", s, p)
		}
		if again := NormalizePhone(p.Digits); again != p {
			t.Fatalf("NormalizePhone(%q) = %+v, but NormalizePhone(%q) = %+v", s, p, p.Digits, again)
		}
		if k := p.Key(); k != "" && (p.Kind == PhoneMasked || p.Kind == PhoneNone) {
			t.Fatalf("NormalizePhone(%q) = %+v has key %q", s, p, k)
		}
	})
}

func FuzzAddressKey(f *testing.F) {
	f.Add("广东", "深圳", "南山区", "科技园南区８栋１０１")
	f.Add("浙江省", "杭州市", "西湖区", "浙江省杭州市西湖区文三路 100号 3幢 201室")
	f.Add("", "", "西湖区", "浙江杭州市西湖区文三路100号3栋201")
	f.Add("北京", "市辖区", "朝阳区", "北京市朝阳区建国路88号")
	f.Add("广西壮族自治区", "延边朝鲜族自治州", "沙县区", "中国广西南宁3#楼2-01房")
	f.Fuzz(func(t *testing.T, prov, city, dist, street string) {
		a := event.Address{Province: prov, City: city, District: dist, Address: street}
		k, c := AddressKey(a), CanonicalAddress(a)
		if k != AddressKey(a) || c != CanonicalAddress(a) {
			t.Fatalf("not deterministic for %+v", a)
		}
		if (k == "") != (c == "") {
			t.Fatalf("AddressKey(%+v) = %q but CanonicalAddress = %q", a, k, c)
		}
		if k == "" {
			return
		}
		if !addressKeyRE.MatchString(k) {
			t.Fatalf("AddressKey(%+v) = %q: bad format", a, k)
		}
		if !utf8.ValidString(c) || strings.Count(c, "|") != 2 {
			t.Fatalf("CanonicalAddress(%+v) = %q: bad form", a, c)
		}
		checkAddressFixedPoint(t, a)
	})
}

func FuzzNormalizeTracking(f *testing.F) {
	for _, s := range []string{"yt 7512-3456 78901", "ＹＴ７５１２", "0000000000", "顺丰SF1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeTracking(s)
		if n != NormalizeTracking(s) {
			t.Fatalf("not deterministic for %q", s)
		}
		if again := NormalizeTracking(n); again != n {
			t.Fatalf("NormalizeTracking(%q) = %q, but NormalizeTracking(%q) = %q", s, n, n, again)
		}
		for _, c := range []byte(n) {
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				t.Fatalf("NormalizeTracking(%q) = %q: bad character %q", s, n, c)
			}
		}
	})
}

var benchSink string

func BenchmarkAddressKey(b *testing.B) {
	addrs := []event.Address{
		{Province: "浙江省", City: "杭州市", District: "西湖区", Address: "文三路 100号 3幢 201室"},
		{Province: "广东", City: "深圳", District: "南山区", Address: "科技园南区８栋１０１"},
		{Province: "广东省", City: "深圳市", District: "南山区", Address: "广东省深圳市南山区科技园南区8栋101"},
		{Province: "浙江省", City: "杭州市", District: "余杭区", Address: "仓前街道良睦路1号退货仓"},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		benchSink = AddressKey(addrs[i%len(addrs)])
		i++
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	phones := []string{"13900001111", "+86 139-0000-1111", "８６１３９００００１１１１", "0571-88880000", "138****5678"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		benchSink = NormalizePhone(phones[i%len(phones)]).Digits
		i++
	}
}
