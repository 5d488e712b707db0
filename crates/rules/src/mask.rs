//! Display masking (显示脱敏) for lists and exports: ID number first 6 + last 4, phone 3 + 4, name
//! surname + one `*` per hidden character. Full values appear only in audited detail views.

/// Two-character surnames that keep both characters when masking (`欧阳修` → `欧阳*`).
const COMPOUND_SURNAMES: [&str; 20] = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "申屠"];

pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let (head, tail) = if chars.len() >= 14 {
        (6, 4)
    } else if chars.len() >= 6 {
        (2, 2)
    } else {
        (0, 0)
    };
    if head + tail == 0 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    format!("{}{}{}", chars[..head].iter().collect::<String>(), "*".repeat(hidden), chars[chars.len() - tail..].iter().collect::<String>())
}

pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() { format!("{}****{}", &phone[..3], &phone[7..]) } else { "*".repeat(phone.chars().count()) }
}

/// An address keeps its first third (at most six characters: the street or estate), enough to
/// tell areas apart, not enough to find a door.
pub fn mask_address(address: &str) -> String {
    let chars: Vec<char> = address.trim().chars().collect();
    let shown = chars.len().div_ceil(3).min(6);
    format!("{}****", chars[..shown].iter().collect::<String>())
}

pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    if name.is_ascii() {
        // Latin names (passport holders): the first letter only.
        return match name.chars().next() {
            Some(first) => format!("{first}***"),
            None => String::new(),
        };
    }
    let keep = if name.chars().count() > 2 && COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) { 2 } else { 1 };
    let shown: String = name.chars().take(keep).collect();
    let hidden = name.chars().count().saturating_sub(keep).max(1);
    format!("{shown}{}", "*".repeat(hidden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_keeps_its_area_code_and_last_four() {
        assert_eq!(mask_id_number("43048119900101123X"), "430481********123X");
        assert_eq!(mask_id_number("430481900101123"), "430481*****1123");
        assert_eq!(mask_id_number("E12345678"), "E1*****78");
    }

    #[test]
    fn a_phone_keeps_three_and_four() {
        assert_eq!(mask_phone("13800001111"), "138****1111");
    }

    #[test]
    fn an_address_keeps_its_first_third_at_most_six_characters() {
        assert_eq!(mask_address("测试路1号"), "测试****");
        assert_eq!(mask_address("蔡子池街道金南社区建设路18号"), "蔡子池街道****");
        assert_eq!(mask_address("衡阳市耒阳市蔡子池街道金南社区建设路18号3栋"), "衡阳市耒阳市****");
        assert_eq!(mask_address(""), "****");
    }

    #[test]
    fn a_name_keeps_its_surname() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("欧阳修"), "欧阳*");
        assert_eq!(mask_name("欧阳"), "欧*");
        assert_eq!(mask_name("John Smith"), "J***");
    }
}
