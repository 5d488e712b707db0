//! Text as typed: width folding for codes, and the characters no text may hold.

/// Folds full-width ASCII (as typed by Chinese input methods: `４３０４`, `Ｘ`, `＋`) to half-width and
/// drops spaces, so that every parser sees the same characters.
pub fn normalize_width(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
            '\u{3000}' | ' ' | '\t' | '\u{A0}' => None,
            _ => Some(c),
        })
        .collect()
}

/// The first character of `text` that no input may hold, if any: control characters (C0 and C1,
/// U+0000–U+001F and U+007F–U+009F) other than tab, line feed and carriage return; the
/// bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which make a
/// name or a note display in another order than it was stored; the invisible separators that make
/// two equal-looking names differ (U+200B, U+2060, U+FEFF) or break a line where no line is
/// (U+2028, U+2029); and U+FFFD, which stands where bytes were not valid UTF-8. PostgreSQL refuses
/// U+0000 in text outright; SQLite stores it and cuts the value short wherever C strings are used.
///
/// Tab and line breaks are allowed because multi-line texts (notes, findings, instructions) need
/// them; single-line values fold white space where they are parsed (a name's runs of white space
/// become one space).
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars().find(|&c| is_forbidden(c))
}

/// What a person is told about a refused character: which one, and what to do.
pub fn refusal(c: char) -> String {
    if c == '\u{FFFD}' {
        return "含有无法识别的字符(编码有误,U+FFFD),请重新输入".into();
    }
    format!("含有不可见的控制字符或文字方向控制符(U+{:04X}),请删除后重新输入", c as u32)
}

fn is_forbidden(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => true,
        '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFD}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_width_digits_and_letters_become_ascii() {
        assert_eq!(normalize_width("４３０４８１ｘ"), "430481x");
        assert_eq!(normalize_width("＋86 138 0000　0000"), "+8613800000000");
    }

    #[test]
    fn nul_escape_and_bidi_overrides_are_refused_but_line_breaks_are_not() {
        assert_eq!(forbidden_char("x\u{0}y"), Some('\u{0}'));
        assert_eq!(forbidden_char("\u{1B}[31m"), Some('\u{1B}'));
        assert_eq!(forbidden_char("张\u{202E}三"), Some('\u{202E}'));
        assert_eq!(forbidden_char("abc\u{2066}"), Some('\u{2066}'));
        assert_eq!(forbidden_char("\u{85}"), Some('\u{85}'));
        assert_eq!(forbidden_char("第一行\r\n第二行\t完"), None);
        assert_eq!(forbidden_char("欧阳修 John-Smith ①"), None);
        assert_eq!(forbidden_char("张\u{200B}三"), Some('\u{200B}'), "a zero-width space makes two names differ");
        assert_eq!(forbidden_char("张\u{FFFD}三"), Some('\u{FFFD}'), "bytes that were not UTF-8");
        assert!(refusal('\u{FFFD}').contains("编码"));
        assert_eq!(forbidden_char("👨\u{200D}👩\u{200D}👧"), None, "joiners inside emoji stay");
    }

    proptest! {
        #[test]
        fn ordinary_chinese_and_latin_text_is_accepted(s in "[\\u4e00-\\u9fa5a-zA-Z0-9 ,.。,、\\n]{0,40}") {
            prop_assert_eq!(forbidden_char(&s), None);
        }

        #[test]
        fn any_control_character_is_found_wherever_it_stands(head in "[a-z张]{0,5}", c in 0u32..0x20, tail in "[a-z三]{0,5}") {
            let c = char::from_u32(c).unwrap();
            let text = format!("{head}{c}{tail}");
            let expected = if matches!(c, '\t' | '\n' | '\r') { None } else { Some(c) };
            prop_assert_eq!(forbidden_char(&text), expected);
        }
    }
}
