//! The 56 ethnic groups of China (民族), in the order of GB/T 3304, plus the two residual entries.

pub const ETHNICITIES: [&str; 58] = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他",
    "外国血统",
];

/// Accepts `汉族` or the short form `汉` as typed in many sheets.
pub fn parse(input: &str) -> Option<&'static str> {
    let s = input.trim();
    ETHNICITIES.iter().copied().find(|e| *e == s || (e.ends_with('族') && e.trim_end_matches('族') == s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_and_full_names_are_accepted() {
        assert_eq!(super::parse("汉"), Some("汉族"));
        assert_eq!(super::parse("土家族"), Some("土家族"));
        assert_eq!(super::parse("火星族"), None);
    }
}
