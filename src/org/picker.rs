//! Choosing a unit on a form by its name, not its 15-digit code. The field is a text input with a
//! native `<datalist>` of the caller's units at the levels the form takes, so a phone offers them
//! as one types, with no script. A chosen option reads "金南社区第一网格(蔡子池街道) 430481001001001": the
//! server takes the code at its end; a bare name typed without the list is looked up within the
//! caller's jurisdiction, and a bare code still works.

use super::names::Names;
use fangkong_rules::Scope;

/// Above this many units the list is not sent (a city's grids); names typed are still resolved.
const MOST_OFFERED: usize = 3_000;

/// Levels by the length of their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    County = 6,
    Township = 9,
    Village = 12,
    Grid = 15,
}

/// A unit field as a template draws it (`templates/unit_picker.html`).
pub struct UnitPicker {
    pub field: &'static str,
    /// What the field holds: the chosen unit as "name code", or what was typed.
    pub value: String,
    pub options: Vec<String>,
}

impl UnitPicker {
    /// The caller's units at `levels`, with `value` (a code, or what was typed) shown by name.
    pub fn new(field: &'static str, names: &Names, scope: &Scope, levels: &[Level], value: &str) -> UnitPicker {
        let mut codes: Vec<&String> = names.keys().filter(|code| scope.allows(code) && levels.iter().any(|l| code.len() == *l as usize) && !is_department(code)).collect();
        codes.sort();
        let options = if codes.len() <= MOST_OFFERED { codes.into_iter().map(|code| shown(names, code)).collect() } else { Vec::new() };
        // Only a unit of the caller's is shown by name: a code typed from elsewhere stays a code.
        let value = if scope.allows(value.trim()) && names.contains_key(value.trim()) { shown(names, value.trim()) } else { value.to_string() };
        UnitPicker { field, value, options }
    }
}

/// "蔡子池街道 430481001", and below a township with the township's name, since villages in two
/// townships may share a name: "金南社区第一网格(蔡子池街道) 430481001001001".
pub fn shown(names: &Names, code: &str) -> String {
    let Some(name) = names.get(code) else { return code.to_string() };
    match township_of(names, code) {
        Some(township) => format!("{name}({township}) {code}"),
        None => format!("{name} {code}"),
    }
}

/// The name of the township a village/community or grid lies in.
fn township_of<'a>(names: &'a Names, code: &str) -> Option<&'a str> {
    (code.len() > Level::Township as usize).then(|| names.get(&code[..Level::Township as usize])).flatten().map(String::as_str)
}

/// A city department (the sanitation centre): no unit a record is kept at, nor offered as one.
fn is_department(code: &str) -> bool {
    fangkong_rules::OrgCode::parse(code).is_ok_and(|c| c.is_city_department())
}

/// The unit a form's `field` chose (see [`resolve`]), as the field's error when it names none.
pub fn chosen(names: &Names, scope: &Scope, field: &str, text: &str) -> crate::error::AppResult<fangkong_rules::OrgCode> {
    let code = resolve(names, scope, text).map_err(|message| crate::error::AppError::invalid(field, "org_unknown", message))?;
    if is_department(&code) {
        return Err(crate::error::AppError::invalid(field, "org_department", "市直部门不是登记单位,请选择区县、乡镇(街道)或村(社区)"));
    }
    fangkong_rules::OrgCode::parse(&code).map_err(|m| crate::error::AppError::invalid(field, "org_invalid", m))
}

/// The code a unit field holds: the code at the end of a chosen option or typed alone, or the one
/// unit in `scope` with the name typed — its whole name, or the end of it ("第一网格" within one
/// community), optionally followed by its township in brackets as the list shows it. A message for
/// the field otherwise, naming a few of the units meant when there are several.
pub fn resolve(names: &Names, scope: &Scope, text: &str) -> Result<String, String> {
    let text = fangkong_rules::normalize_width(text.trim());
    let text = text.trim();
    let tail: String = text.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    if tail.len() >= Level::County as usize || (!tail.is_empty() && tail.len() == text.len()) {
        return Ok(tail);
    }
    if text.is_empty() {
        return Err("请选择单位".into());
    }
    let (name, township) = match text.strip_suffix(')').and_then(|t| t.rsplit_once('(')) {
        Some((name, township)) => (name.trim(), Some(township.trim())),
        None => (text, None),
    };
    let in_scope = |code: &&String| scope.allows(code) && !is_department(code) && township.is_none_or(|t| township_of(names, code) == Some(t));
    let mut matches: Vec<&String> = names.iter().filter(|(_, n)| n.as_str() == name).map(|(code, _)| code).filter(in_scope).collect();
    if matches.is_empty() && name.chars().count() >= 2 {
        matches = names.iter().filter(|(_, n)| n.ends_with(name)).map(|(code, _)| code).filter(in_scope).collect();
    }
    matches.sort();
    match matches.as_slice() {
        [code] => Ok((*code).clone()),
        [] => Err(format!("在您的辖区内找不到名为“{text}”的单位,请输入名称后从列表中选择")),
        many => {
            let some: Vec<String> = many.iter().take(3).map(|code| shown(names, code)).collect();
            Err(format!("辖区内有 {} 个单位名为“{text}”(如 {}),请从列表中选择带代码的一项", many.len(), some.join("、")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fangkong_rules::OrgCode;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn names() -> Names {
        let units = [
            ("430481", "耒阳市"),
            ("430481001", "蔡子池街道"),
            ("430481001001", "金南社区"),
            ("430481001001001", "金南社区第一网格"),
            ("430481002", "花桥镇"),
            ("430481002001", "新村"),
            ("430481003", "大市镇"),
            ("430481003001", "新村"),
            ("430481002001001", "新村第一网格"),
        ];
        Arc::new(units.into_iter().map(|(c, n)| (c.to_string(), n.to_string())).collect::<HashMap<_, _>>())
    }

    #[test]
    fn a_unit_is_chosen_by_name_or_by_the_code_its_option_ends_with() {
        let scope = Scope::of(&OrgCode::parse("430481").unwrap());
        assert_eq!(resolve(&names(), &scope, "金南社区第一网格 430481001001001").unwrap(), "430481001001001");
        assert_eq!(resolve(&names(), &scope, "430481001001001").unwrap(), "430481001001001");
        assert_eq!(resolve(&names(), &scope, " 金南社区 ").unwrap(), "430481001001");
        let two = resolve(&names(), &scope, "新村").unwrap_err();
        assert!(two.contains("2 个单位") && two.contains("新村(花桥镇) 430481002001") && two.contains("新村(大市镇) 430481003001"), "{two}");
        assert_eq!(resolve(&names(), &scope, "新村(大市镇)").unwrap(), "430481003001", "the township as the list shows it tells them apart");
        // A grid by the end of its name: unique within one community, several across a county.
        let community = Scope::of(&OrgCode::parse("430481001001").unwrap());
        assert_eq!(resolve(&names(), &community, "第一网格").unwrap(), "430481001001001");
        assert!(resolve(&names(), &scope, "第一网格").unwrap_err().contains("2 个单位"));
        assert!(resolve(&names(), &scope, "第九网格").unwrap_err().contains("找不到"));
        let elsewhere = Scope::of(&OrgCode::parse("430422").unwrap());
        assert!(resolve(&names(), &elsewhere, "金南社区").unwrap_err().contains("找不到"), "names outside the jurisdiction are not found");
    }

    #[test]
    fn the_list_holds_the_callers_units_at_the_forms_levels() {
        let scope = Scope::of(&OrgCode::parse("430481001").unwrap());
        let picker = UnitPicker::new("org", &names(), &scope, &[Level::Village, Level::Grid], "430481001001001");
        assert_eq!(picker.options, ["金南社区(蔡子池街道) 430481001001", "金南社区第一网格(蔡子池街道) 430481001001001"]);
        assert_eq!(picker.value, "金南社区第一网格(蔡子池街道) 430481001001001");
        let elsewhere = UnitPicker::new("org", &names(), &scope, &[Level::Village], "430481002001");
        assert_eq!(elsewhere.value, "430481002001", "a unit outside the jurisdiction is not named");
    }
}
