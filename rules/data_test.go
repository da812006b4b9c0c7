package rules

// Tests of the embedded tables: they load, every pattern agrees with the
// examples written next to it, and the phrase matcher finds what a plain
// substring search finds.

import (
	"slices"
	"strings"
	"testing"

	"github.com/sellerguard/sellerguard/event"
)

type addrT = event.Address

func TestTablesLoad(t *testing.T) {
	tab, err := loadTables()
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.waybills.Carriers) < 10 || len(tab.postage.Carriers) < 10 || len(tab.phrases.Threats) < 5 {
		t.Fatalf("tables look empty: %d carriers, %d postage rows, %d threat groups",
			len(tab.waybills.Carriers), len(tab.postage.Carriers), len(tab.phrases.Threats))
	}
	// Every carrier with a format has prices, and the reverse.
	for code := range tab.waybills.Carriers {
		if tab.postage.Carriers[code] == nil {
			t.Errorf("carrier %s has a waybill format but no postage", code)
		}
	}
	for code := range tab.postage.Carriers {
		if tab.waybills.Carriers[code] == nil {
			t.Errorf("carrier %s has postage but no waybill format", code)
		}
	}
	// Prices never fall as the route gets longer.
	for code, p := range tab.postage.Carriers {
		zones := []fee{p.SameCity, p.SameProvince, p.OtherProvince, p.Remote}
		for i := 1; i < len(zones); i++ {
			if zones[i][0] < zones[i-1][0] || zones[i][1] < zones[i-1][1] {
				t.Errorf("%s: zone %d is cheaper than zone %d: %v", code, i, i-1, zones)
			}
		}
	}
}

func TestWaybillExamples(t *testing.T) {
	for code, c := range data().waybills.Carriers {
		if len(c.Valid) == 0 || len(c.Invalid) == 0 {
			t.Errorf("%s: give valid and invalid examples", code)
		}
		for _, no := range c.Valid {
			if fits, known := waybillFits(code, NormalizeTracking(no)); !fits || !known {
				t.Errorf("%s: valid example %s does not fit %v", code, no, c.Formats)
			}
		}
		for _, no := range c.Invalid {
			if fits, _ := waybillFits(code, NormalizeTracking(no)); fits {
				t.Errorf("%s: invalid example %s fits %v", code, no, c.Formats)
			}
		}
	}
	if _, known := waybillFits("OTHER", "AB12345678"); known {
		t.Error("OTHER has no format to check")
	}
}

func TestS10CheckDigit(t *testing.T) {
	for no, ok := range map[string]bool{
		"EA123456785CN": true, "RR473124829GB": true, "CP000000005CN": true,
		"EA123456789CN": false, "RR473124820GB": false,
	} {
		if !isS10Shape(no) {
			t.Errorf("%s should have the S10 shape", no)
		}
		if got := s10CheckOK(no); got != ok {
			t.Errorf("s10CheckOK(%s) = %v, want %v", no, got, ok)
		}
	}
	for _, no := range []string{"EA12345678CN", "E1123456785CN", "EA123456785C1", "1234567890123"} {
		if isS10Shape(no) {
			t.Errorf("%s is not S10-shaped", no)
		}
	}
	// The check digit rules 10 → 0 and 11 → 5.
	for _, serial := range []string{"00000000", "00000001", "12345670", "99999999", "47312482", "10000000"} {
		n := 0
		for d := range 10 {
			if s10CheckOK("AA" + serial + string(rune('0'+d)) + "CN") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("serial %s: %d check digits accepted, want exactly 1", serial, n)
		}
	}
}

func TestCarrierCodes(t *testing.T) {
	for in, want := range map[string]string{
		"SF": "SF", "sf": "SF", " S F ": "SF", "顺丰": "SF", "顺丰速运": "SF", "ＳＦ": "SF",
		"圆通": "YTO", "中通快递": "ZTO", "极兔": "JTEXPRESS", "J&T": "JTEXPRESS", "邮政": "YZPY", "中国邮政EMS": "EMS",
		"OTHER": "OTHER", "xyz快运": "XYZ快运",
	} {
		if got := carrierCode(in); got != want {
			t.Errorf("carrierCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTypicalFee(t *testing.T) {
	tests := []struct {
		code, zone string
		grams      int64
		fee, kg    int64
	}{
		{"YTO", zoneSameCity, 1580, 1200, 2},
		{"YTO", zoneSameCity, 0, 1000, 1},
		{"YTO", zoneSameCity, 1000, 1000, 1},
		{"YTO", zoneSameCity, 1001, 1200, 2},
		{"SF", zoneOtherProvince, 2900, 2300 + 2*1300, 3},
		{"SF", zoneUnknown, 500, 3000, 1},    // unknown is priced as remote
		{"NOPE", zoneSameCity, 500, 1800, 1}, // unknown carrier: the dearest
	}
	for _, tc := range tests {
		if fee, kg := typicalFee(tc.code, tc.zone, tc.grams); fee != tc.fee || kg != tc.kg {
			t.Errorf("typicalFee(%s, %s, %d) = %d, %d; want %d, %d", tc.code, tc.zone, tc.grams, fee, kg, tc.fee, tc.kg)
		}
	}
}

func TestRoute(t *testing.T) {
	addr := func(p, c, d, a string) *addrT { return &addrT{Province: p, City: c, District: d, Address: a} }
	tests := []struct {
		from, to *addrT
		want     string
	}{
		{addr("浙江省", "杭州市", "西湖区", "文三路100号"), addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneSameCity},
		{addr("浙江省", "宁波市", "鄞州区", "天童南路1号"), addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneSameProvince},
		{addr("广东", "深圳", "南山区", "科技园南区8栋"), addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneOtherProvince},
		{addr("", "上海市", "浦东新区", "张杨路100号"), addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneOtherProvince},
		{addr("西藏自治区", "拉萨市", "城关区", "北京中路1号"), addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneRemote},
		{addr("", "", "", "良睦路1号"), addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneUnknown},
		{nil, addr("浙江", "杭州", "余杭区", "良睦路1号退货仓"), zoneUnknown},
	}
	for _, tc := range tests {
		if got := route(tc.from, tc.to); got != tc.want {
			t.Errorf("route(%+v, %+v) = %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestNormText(t *testing.T) {
	for in, want := range map[string]string{
		"１２３１５":       "12315",
		"赔 我 ５００ 块":   "赔我500块",
		"ＡＢＣ\u200b投诉": "abc投诉",
		"Ｇｏｏｄ　Ｒｅｖｉｅｗ": "goodreview",
		"差\t评\n":      "差评",
		"￥500":        "¥500",
	} {
		if got := normText(in); got != want {
			t.Errorf("normText(%q) = %q, want %q", in, got, want)
		}
	}
}

// The Aho-Corasick matcher finds exactly the phrases a plain search finds.
func TestPhraseSetAgreesWithNaiveSearch(t *testing.T) {
	ph := data().phrases
	texts := []string{
		"你们详情页写着“全网最低价”,这是违反广告法的极限词。赔我500块,不然我就去12315和工商局投诉你们。",
		"我的电话是13812315678,发错货了赔我钱吧",
		"退款退到工商银行卡就行", "差评差评差评", "12315", "a12315", "12315b", "打12315投诉你", "",
		"不给我退款加赔偿200元,我就给你们差评,还要打12315", "偷税漏税税务局12366", "泄露泄漏隐私",
	}
	for _, set := range []*phraseSet{ph.threats, ph.demands, ph.compensation, ph.testWords, ph.nearWords} {
		for _, text := range texts {
			n := normText(text)
			var want []string
			for _, p := range set.phrases {
				if strings.Contains(n, p) && (!wordEdges(p) || occursAsWord(n, p)) {
					want = append(want, p)
				}
			}
			if got := set.find(n); !slices.Equal(got, want) {
				t.Errorf("find(%q) = %v, naive %v", n, got, want)
			}
		}
	}
	// Concurrent use is safe (run with -race).
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 200 {
				ph.threats.find(normText(texts[0]))
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}

func TestAmounts(t *testing.T) {
	for text, want := range map[string][]string{
		"赔我500块":    {"500块"},
		"给我¥200":    {"¥200"},
		"补偿５０元":     {"补偿50"},
		"五百块":       {"五百块"},
		"赔300":      {"赔300"},
		"和裤子一块寄回":   nil,
		"我要12315投诉": nil,
		"订单号12345":  nil,
	} {
		if got := amountRE.FindAllString(normText(text), -1); !slices.Equal(got, want) {
			t.Errorf("amounts in %q = %v, want %v", text, got, want)
		}
	}
}

func TestStreetCore(t *testing.T) {
	for in, want := range map[string]string{
		"仓前街道良睦路1号退货仓": "良睦路1号退货仓",
		"太和镇物流园3号库":    "物流园3号库",
		"良睦路1号":        "良睦路1号",
		"镇海路1号":        "镇海路1号",
		"街道":           "街道",
	} {
		if got := streetCore(in); got != want {
			t.Errorf("streetCore(%q) = %q, want %q", in, got, want)
		}
	}
}
