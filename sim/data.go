package sim

import (
	"strings"

	"github.com/sellerguard/sellerguard/event"
)

// sku is one variant of a product with its catalogue weight in grams.
type sku struct {
	code, name string
	g          int64
}

type product struct {
	id, code, title string
	price           int64 // fen
	skus            []sku
}

// Catalogue weights are what the shop lists, so weight rules compare against them.
var (
	heavy = []product{ // every unit ≥ 300 g: the weight rules need a clear expectation
		{"P-COAT", "COAT", "羊毛大衣", 59900, []sku{{"BLK-M", "黑色 M", 1420}, {"BLK-L", "黑色 L", 1480}, {"CML-M", "驼色 M", 1450}, {"CML-XL", "驼色 XL", 1580}}},
		{"P-DOWN", "DOWN", "长款羽绒服", 89900, []sku{{"WHT-M", "白色 M", 1250}, {"BLK-L", "黑色 L", 1320}}},
		{"P-SHOE", "SHOE", "缓震跑步鞋", 39900, []sku{{"39", "39码", 780}, {"41", "41码", 820}, {"43", "43码", 860}}},
		{"P-BOOK", "BOOK", "《百年孤独》", 5900, []sku{{"PB", "平装", 480}, {"HB", "精装", 640}}},
		{"P-KETTLE", "KETTLE", "电热水壶 1.7L", 15900, []sku{{"WHT", "白色", 1150}, {"GRY", "灰色", 1150}}},
		{"P-JEANS", "JEANS", "直筒牛仔裤", 19900, []sku{{"29", "29码", 620}, {"31", "31码", 650}, {"33", "33码", 680}}},
		{"P-TEA", "TEA", "西湖龙井礼盒", 29900, []sku{{"250", "250g装", 680}, {"500", "500g装", 980}}},
	}
	medium = []product{
		{"P-SCARF", "SCARF", "羊绒围巾", 29900, []sku{{"GRY", "灰色", 190}, {"RED", "酒红", 190}}},
		{"P-CASE", "CASE", "磨砂手机壳", 2900, []sku{{"IP15", "iPhone 15", 36}, {"IP16", "iPhone 16", 38}, {"IP16PM", "iPhone 16 Pro Max", 40}}},
	}
	light = []product{ // 5–40 g: parcels of these weigh less than the empty-parcel floor
		{"P-EAR", "EAR", "925银耳钉", 12900, []sku{{"PEARL", "珍珠", 8}, {"STAR", "星星", 6}, {"HOOP", "圈圈", 12}}},
		{"P-NECK", "NECK", "锁骨链", 19900, []sku{{"GLD", "金色", 18}, {"SLV", "银色", 15}}},
		{"P-RING", "RING", "素圈戒指", 9900, []sku{{"7", "7号", 5}, {"9", "9号", 6}}},
		{"P-CASE", "CASE", "磨砂手机壳", 2900, []sku{{"IP15", "iPhone 15", 36}, {"IP16", "iPhone 16", 38}}},
	}
)

func (p product) item(k sku, qty int64) event.Item {
	return event.Item{SKUID: "SKU-" + p.code + "-" + k.code, ProductID: p.id, Title: p.title + " " + k.name,
		Quantity: qty, UnitPriceMinor: p.price, UnitWeightG: k.g}
}

type place struct {
	province, city, district string
	streets                  []string
}

// Street names avoid starting with a province, city or district name, so
// stripping a repeated prefix never eats part of the street.
var places = []place{
	{"浙江省", "杭州市", "西湖区", []string{"文三路", "古墩路", "天目山路"}},
	{"浙江省", "杭州市", "拱墅区", []string{"莫干山路", "湖墅南路"}},
	{"广东省", "深圳市", "南山区", []string{"科技园南区", "学府路", "桃园路"}},
	{"广东省", "深圳市", "福田区", []string{"华强北路", "彩田路"}},
	{"广东省", "广州市", "天河区", []string{"体育西路", "林和西路"}},
	{"广东省", "广州市", "海珠区", []string{"江南大道中", "新港西路"}},
	{"江苏省", "南京市", "鼓楼区", []string{"中山北路", "汉中路"}},
	{"江苏省", "苏州市", "工业园区", []string{"星湖街", "现代大道"}},
	{"上海市", "上海市", "浦东新区", []string{"张杨路", "世纪大道"}},
	{"上海市", "上海市", "徐汇区", []string{"漕溪北路", "虹桥路"}},
	{"北京市", "北京市", "朝阳区", []string{"建国路", "望京西路"}},
	{"北京市", "北京市", "海淀区", []string{"中关村大街", "学院路"}},
	{"四川省", "成都市", "武侯区", []string{"人民南路四段", "科华北路"}},
	{"湖北省", "武汉市", "洪山区", []string{"珞喻路", "雄楚大道"}},
	{"山东省", "济南市", "历下区", []string{"泉城路", "解放路"}},
	{"福建省", "厦门市", "思明区", []string{"湖滨南路", "莲前西路"}},
}

var (
	compounds  = []string{"", "", "阳光花园", "金色家园", "翠苑", "幸福里", "锦绣小区", "绿城桂花园"}
	surnames   = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"}
	givenNames = []string{"丽", "强", "伟", "芳", "敏", "静", "磊", "洋", "艳", "杰", "娟", "涛", "明", "超", "秀英", "桂芳", "婷婷", "子涵", "浩然", "雨轩", "欣怡", "一鸣", "建国", "晓燕"}
	nicks      = []string{"xiaoli", "meimei", "ahua", "dawei", "lele", "tiantian", "xiaoyu", "jiajia", "momo", "nannan", "sunny", "echo", "kiki", "lucky"}
	mobilePfx  = []string{"130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159", "166", "177", "180", "182", "185", "186", "187", "188", "189", "191", "199"}
)

// warehouses are the shops' return addresses; shop i gets warehouses[i%len].
var warehouses = []event.Address{
	{Name: "售后仓", Phone: "0571-88880000", Province: "浙江省", City: "杭州市", District: "余杭区", Address: "仓前街道良睦路1号退货仓"},
	{Name: "退货组", Phone: "020-36660000", Province: "广东省", City: "广州市", District: "白云区", Address: "太和镇物流园3号库"},
	{Name: "售后部", Phone: "0512-65550000", Province: "江苏省", City: "苏州市", District: "吴中区", Address: "木渎镇电商产业园B区"},
	{Name: "退换货中心", Phone: "027-87770000", Province: "湖北省", City: "武汉市", District: "东西湖区", Address: "走马岭物流港6栋"},
}

// How buyers type each warehouse (by index) into a courier's app besides the
// way the shop gave it: cut short, without the sub-district or town, 幢 or 号楼
// for 栋. Each still names the warehouse.
var warehouseTyped = [][]string{
	{"良睦路1号退货仓", "仓前街道良睦路1号", "良睦路1号"},
	{"物流园3号库", "太和镇物流园3号"},
	{"电商产业园B区", "木渎镇电商产业园"},
	{"走马岭物流港6幢", "走马岭物流港6号楼"},
}

// Street lines in each warehouse's city and district that are not the
// warehouse: another number on its road, a road nearby, or the warehouse's
// line followed by a parcel station, a locker or a shop next to it.
var nearWarehouse = [][]string{
	{"仓前街道良睦路8号", "仓前街道文一西路1818号", "良睦路1号对面菜鸟驿站", "仓前街道良睦路3号丰巢快递柜", "仓前街道海曙路58号"},
	{"太和镇物流园5号库", "太和镇草庄路12号", "太和镇物流园3号库对面驿站", "太和镇大源北路66号"},
	{"木渎镇电商产业园D区", "木渎镇金山路88号", "木渎镇电商产业园B区门口便利店"},
	{"走马岭物流港9栋", "走马岭汇通大道18号", "走马岭物流港6栋旁边超市"},
}

// Mainstream couriers only: returns with small couriers are a rule of their own.
var (
	outCarriers   = []string{"SF", "ZTO", "YTO", "YUNDA"}
	retCarriers   = []string{"SF", "YTO", "ZTO", "STO", "YUNDA", "JTEXPRESS"}
	smallCarriers = []string{"TTKD", "FAST", "BEST", "ZJS", "DEPPON"} // real couriers the shops do not take returns with
)

// postage is what a private sender pays per carrier and route, in fen: the
// first kilogram and each further one (same city, same province, another
// province). Buyers' honest claims are at or below it.
var postage = map[string][3][2]int64{
	"SF":        {{1300, 300}, {1500, 500}, {2300, 1300}},
	"YTO":       {{1000, 200}, {1000, 300}, {1300, 600}},
	"ZTO":       {{1000, 200}, {1000, 300}, {1300, 600}},
	"STO":       {{1000, 200}, {1000, 300}, {1300, 600}},
	"YUNDA":     {{1000, 200}, {1000, 300}, {1300, 600}},
	"JTEXPRESS": {{1000, 200}, {1000, 300}, {1300, 600}},
}

// fee is the usual postage of a parcel from one address to another.
func fee(carrier string, grams int64, from, to event.Address) int64 {
	zone := 2
	switch {
	case from.City == to.City:
		zone = 0
	case from.Province == to.Province:
		zone = 1
	}
	p := postage[carrier][zone]
	kg := max(1, (grams+999)/1000)
	return p[0] + (kg-1)*p[1]
}

// mailroom is an address many accounts share: a campus parcel station or an
// office's reception.
type mailroom struct {
	pl    place
	parts []string // street line in parts, typed with or without spaces
}

// campuses are parcel stations where thousands of students collect parcels.
var campuses = []mailroom{
	{place{"浙江省", "杭州市", "西湖区", nil}, []string{"余杭塘路866号", "浙江大学紫金港校区", "菜鸟驿站"}},
	{place{"湖北省", "武汉市", "洪山区", nil}, []string{"珞喻路1037号", "华中科技大学韵苑", "菜鸟驿站"}},
	{place{"广东省", "广州市", "海珠区", nil}, []string{"新港西路135号", "中山大学南校园", "快递中心"}},
}

// towers are office towers whose mailroom takes every tenant's parcels.
var towers = []mailroom{
	{place{"上海市", "上海市", "浦东新区", nil}, []string{"世纪大道100号", "环球金融中心", "B1收发室"}},
	{place{"北京市", "北京市", "朝阳区", nil}, []string{"建国路81号", "华贸中心", "1号楼前台收发室"}},
	{place{"广东省", "深圳市", "南山区", nil}, []string{"深南大道9988号", "华润置地大厦", "快递收发室"}},
}

var (
	officeTowers    = []string{"国际大厦", "科技大厦", "金融中心", "创意园", "世贸中心", "数码港", "时代广场"}
	officeCompanies = []string{"星河科技", "蓝海网络", "云启信息", "明德咨询", "远航设计", "易联数据", "青禾文化"}
)

func (m mailroom) typed(name, phone string, style int) event.Address {
	prov, city := m.pl.province, m.pl.city
	if style&styleShort != 0 {
		prov, city = strings.TrimSuffix(strings.TrimSuffix(prov, "省"), "市"), strings.TrimSuffix(city, "市")
	}
	sep := ""
	if style&styleSpaces != 0 {
		sep = " "
	}
	line := strings.Join(m.parts, sep)
	if style&styleWide != 0 {
		line = wide(line)
	}
	if style&styleRepeat != 0 {
		line = prov + city + m.pl.district + line
	}
	return event.Address{Name: name, Phone: phone, Province: prov, City: city, District: m.pl.district, Address: line}
}

// waybillShape is a carrier's usual number: a fixed prefix and a digit count range.
func waybillShape(carrier string) (prefix string, lead string, minD, maxD int) {
	switch carrier {
	case "SF":
		return "SF", "", 12, 12
	case "YTO":
		return "YT", "", 13, 13
	case "ZTO":
		return "", "7", 12, 14
	case "STO":
		return "", "77", 13, 13
	case "YUNDA":
		return "", "43", 13, 13
	case "JTEXPRESS":
		return "JT", "", 13, 13
	case "TTKD":
		return "", "66", 12, 12
	case "FAST":
		return "", "56", 12, 12
	case "BEST":
		return "", "55", 13, 13
	case "ZJS":
		return "ZJS", "", 10, 10
	case "DEPPON":
		return "DPK", "", 12, 12
	}
	return "", "", 12, 12
}

var reasonTexts = map[string][]string{
	"no_reason":        {"七天无理由退货", "不想要了", "买多了,退一件"},
	"quality":          {"做工一般,有线头", "有色差", "质量不太好,有异味"},
	"not_as_described": {"尺码偏大", "和图片颜色不一样", "尺码偏小,穿不下"},
	"not_received":     {"没收到货", "一直没收到", "快递显示签收但我没拿到"},
	"missing_item":     {"少发了一件", "包裹里少了东西", "漏发了"},
	"wrong_item":       {"发错货了,规格不对", "收到的规格和下单的不一样", "发错款了"},
	"damaged":          {"收到时商品破损", "外包装压坏了,商品有裂痕"},
	"out_of_stock":     {"卖家缺货", "商家说没货了", "缺货,申请退款"},
}

var (
	// Polite, honest chat: no threat, no demand for money.
	invoiceTexts = []string{
		"你好,麻烦开一张电子发票,抬头是个人,谢谢!",
		"您好,公司报销需要发票,抬头和税号我发在下面了,麻烦开一下~",
		"请问发票什么时候能开好?不着急,谢谢亲",
		"麻烦开个增值税普通发票,税号91330106MA2XXXXX,开好发我邮箱就行",
	}
	returnTexts = []string{
		"你好,尺码不太合适,已经申请退货了,麻烦尽快处理,谢谢!",
		"亲,申请了退货,寄回地址是后台这个吗?",
		"你好,想退货,颜色和图片有点差别,麻烦同意一下~",
		"我是用工商银行卡付的款,退款会原路退回吗?",
		"之前说的好评返现红包还有吗?这件我退了,另一单会好评的",
	}
	stuckTexts = []string{
		"你好,快递好几天没有更新了,能帮忙查一下吗?",
		"物流一直没动,是不是丢件了?麻烦看看,谢谢",
	}
	// Complaints about couriers: angry, some with a bad review, none with a
	// demand for money.
	slowTexts = []string{
		"快递太慢了,都五天了还没到,我要投诉快递!",
		"物流三天没更新了,能不能催一下快递?",
		"再不到我就给差评了,这快递也太慢了",
		"什么快递啊这么慢,下次别发这家了,我要去投诉快递公司",
	}
	postageTexts = []string{
		"退货运费是我自己垫付的,麻烦一起退一下,谢谢",
		"质量问题退的,寄回运费能退吗?单号和运费都填了",
	}
	lateTexts     = []string{"来得太晚了,活动已经过了,用不上了", "等太久了,已经在别处买了"}
	stockOKTexts  = []string{"好的,没货就退款吧,没关系", "那就退款吧,有货了再买"}
	underTexts    = []string{"打开包裹发现少了一件,麻烦核实一下", "你好,订单里的东西少发了,包裹里只有一样"}
	nudgeTexts    = []string{"我已经寄回了,单号也填了,怎么还不退款?", "快递早就寄出了,麻烦尽快退款", "东西寄回去好几天了,请尽快处理"}
	signedNudge   = []string{"物流显示已经签收了,请尽快退款", "你们仓库已经签收了,为什么还不退款?"}
	notRecvTexts  = []string{"我根本没收到货,快递柜里也没有", "没收到货,请直接退款"}
	missingClaims = []string{"打开包裹发现少了一件,少发了", "只收到一部分,漏发了"}
	failedNotes   = map[string]string{
		"empty":         "包裹内只有填充物,无商品",
		"missing_items": "少件,只收到部分商品,包裹内塞了旧衣物充重",
		"swapped":       "收到的不是本店商品,疑似旧货/仿品调包",
	}
)

// extortionTexts are professional claimants' messages: a threat and a demand
// for money, in the many ways they phrase it; %s is an amount.
var extortionTexts = []string{
	"你们详情页写“全网最低价”“最好用”,违反广告法极限词,赔我%s元,不然我就去12315投诉",
	"不给我开发票是吧?我要去税务局举报你们偷税漏税,想私了就转我%s块",
	"东西质量这么差,不补偿%s元我就给差评,还要投诉到平台",
	"你们泄露了我的个人信息,天天接到骚扰电话,给我%s元封口费,否则起诉你们",
	"假货!退一赔三,不然我找工商局和消协,你们自己看着办",
	"这是虚假宣传,按规定十倍赔偿,否则我就向市场监管局举报",
	"再不给个说法我就发微博曝光你们,转账给我%s就算了",
	"价格欺诈!我已经截图留证了,赔偿我%s元,不然等着律师函",
	"商品标注的产地和实际不符,我可以去12315投诉,你们私下给我%s元红包这事就算了",
	"你们卖的是三无产品,我已经拍照留证了,给我%s块,否则就举报到市场监督局",
	"标签和实物不一样,这是欺骗消费者,要么赔偿我%s元,要么我们法庭见",
}

// Junk receivers of mass malicious orders. Placeholders are too short to
// link two orders; longer junk is made unique per order.
var (
	junkPlaceholders = []string{"无", "测试", "xxx", "不详", "随便写", "abc", "哈哈", "暂无"}
	junkTestWords    = []string{"测试订单请勿发货", "仅测试不要发货", "测试下单别发货"}
	junkRepeats      = []string{"哈", "啊", "1", "a", "x"}
	keyboardRows     = []string{"qwertyuiop", "asdfghjkl", "zxcvbnm"}
)

// typed spells an address the way one person types it. The style bits pick
// the variations events.md lists, so several spellings of one home differ
// only in ways a normalizer must undo.
const (
	styleShort  = 1 << iota // 浙江 / 杭州 instead of 浙江省 / 杭州市
	styleWide               // full-width digits
	styleSpaces             // spaces between the parts of the street line
	styleRepeat             // province, city and district repeated in the street line
)

type home struct {
	pl                              place
	street, no, compound, bld, room string
}

func (h home) key() string {
	return strings.Join([]string{h.pl.province, h.pl.city, h.pl.district, h.street, h.no, h.compound, h.bld, h.room}, "|")
}

func (h home) typed(name, phone string, style int) event.Address {
	prov, city := h.pl.province, h.pl.city
	if style&styleShort != 0 {
		prov, city = strings.TrimSuffix(prov, "省"), strings.TrimSuffix(city, "市")
		prov = strings.TrimSuffix(prov, "市")
	}
	sep := ""
	if style&styleSpaces != 0 {
		sep = " "
	}
	parts := []string{h.street, h.no + "号"}
	if h.compound != "" {
		parts = append(parts, h.compound)
	}
	line := strings.Join(append(parts, h.bld+"幢", h.room+"室"), sep)
	if style&styleWide != 0 {
		line = wide(line)
	}
	if style&styleRepeat != 0 {
		line = prov + city + h.pl.district + line
	}
	return event.Address{Name: name, Phone: phone, Province: prov, City: city, District: h.pl.district, Address: line}
}

// phoneAs types an 11-digit mobile number in one of the ways people do.
func phoneAs(digits string, style int) string {
	a, b, c := digits[:3], digits[3:7], digits[7:]
	switch style % 6 {
	case 1:
		return a + " " + b + " " + c
	case 2:
		return "+86 " + a + "-" + b + "-" + c
	case 3:
		return "+86" + digits
	case 4:
		return a + "-" + b + "-" + c
	case 5:
		return wide(digits)
	}
	return digits
}

func wide(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}
