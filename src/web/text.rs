//! The one rule every text input passes before anything reads it: no control characters (but tab
//! and line breaks) and no bidirectional controls ([`fangkong_rules::forbidden_char`]). It is
//! applied where text enters: the request's path and query ([`guard_uri`], a layer over the whole
//! router), JSON bodies ([`super::json`]), form posts and multipart text fields ([`super::forms`]),
//! and the cells of imported ledger files. A refused text changes nothing and names its field, on
//! SQLite and PostgreSQL alike (PostgreSQL cannot store U+0000 at all).

use crate::error::{AppError, FieldError};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

/// The field error for `value` in `field`, if it holds a forbidden character.
pub fn check(field: &str, value: &str) -> Result<(), FieldError> {
    match fangkong_rules::forbidden_char(value) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(&shown(field), "control_character", fangkong_rules::refusal(c))),
    }
}

/// A field's name as it can be shown back: a refused character in it written as `U+XXXX`.
fn shown(field: &str) -> String {
    field.chars().map(|c| if fangkong_rules::forbidden_char(c.encode_utf8(&mut [0; 4])).is_some() { format!("U+{:04X}", c as u32) } else { c.to_string() }).collect()
}

/// Every string (and object key) of a JSON document; fields are named as `person.name`, `items[2]`.
pub fn check_json(value: &Value) -> Result<(), AppError> {
    let mut errors = Vec::new();
    walk(value, &mut String::new(), &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(AppError::Invalid(errors)) }
}

fn walk(value: &Value, path: &mut String, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) => errors.extend(check(if path.is_empty() { "." } else { path }, s).err()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                errors.extend(check(path, key).err());
                walk(item, path, errors);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Every name and value of a decoded form or query string.
pub fn check_pairs(pairs: &[(String, String)]) -> Result<(), AppError> {
    let errors: Vec<FieldError> = pairs.iter().flat_map(|(k, v)| [check(k, k).err(), check(k, v).err()]).flatten().collect();
    if errors.is_empty() { Ok(()) } else { Err(AppError::Invalid(errors)) }
}

/// Refuses a request whose path or query string, once percent-decoded, holds a forbidden
/// character, before any handler binds it to a query (a path like `/orgs/%00` would otherwise
/// reach PostgreSQL as text it cannot take).
pub async fn guard_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let path = percent_decoded(uri.path());
    if let Some(c) = fangkong_rules::forbidden_char(&path) {
        return super::refuse_unread(AppError::invalid("path", "control_character", format!("请求地址{}", fangkong_rules::refusal(c))));
    }
    if let Some(query) = uri.query()
        && let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        && let Err(e) = check_pairs(&pairs)
    {
        return super::refuse_unread(e);
    }
    next.run(request).await
}

/// `%XX` sequences decoded (invalid UTF-8 shown as U+FFFD, which is allowed: the extractor that
/// reads the path refuses it on its own).
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_document_names_the_field_holding_the_character() {
        let doc = serde_json::json!({"name": "张三", "person": {"note": "x\u{0}y"}, "list": ["ok", "\u{202E}evil"]});
        let Err(AppError::Invalid(errors)) = check_json(&doc) else { panic!("refused") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["list[1]", "person.note"]);
        assert!(errors[0].message.contains("U+202E"));
        assert!(check_json(&serde_json::json!({"note": "第一行\n第二行"})).is_ok());
    }

    #[test]
    fn percent_escapes_are_decoded_before_the_check() {
        assert_eq!(percent_decoded("/orgs/%00x"), "/orgs/\u{0}x");
        assert_eq!(percent_decoded("/r/%E2%80%AEabc"), "/r/\u{202E}abc");
        assert_eq!(percent_decoded("/a%2"), "/a%2");
    }
}
