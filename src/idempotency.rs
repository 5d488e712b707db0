//! Idempotency keys (`submission_keys`): a client-generated key names one submission of one
//! submitter for one owner (the episode a check-in or a life-needs request is for). Sent again with
//! the same content it is answered with the record it made and writes nothing; sent with other
//! content, or by someone else, it is a conflict (409), as in the IETF Idempotency-Key draft —
//! never a silent success that would swallow the new submission. The same key for another owner is
//! simply another submission. A check-in keeps the key of the report it holds on its own row and
//! moves it here when a later report corrects it; a life-needs request keeps its key here. Stores
//! read and write keys inside their own transaction.

use crate::error::AppError;
use sha2::{Digest, Sha256};

/// What a check-in's key is kept under.
pub const CHECK_IN: &str = "check_in";
/// What a life-needs request's key is kept under.
pub const NEED: &str = "need";

/// The longest key accepted (a UUID is 36 characters).
pub const MAX_KEY: usize = 64;

/// `select … from submission_keys`, to be followed by a `where` on `kind` and the keys.
pub const SELECT_KNOWN: &str = "select idempotency_key, owner, submitter, fingerprint, record_id from submission_keys";

/// A key already used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Known {
    pub idempotency_key: String,
    pub owner: i64,
    submitter: Option<String>,
    fingerprint: Option<String>,
    pub record_id: i64,
}

impl Known {
    /// The record to answer a retry with, or the conflict when this is not the same submission.
    /// Keys kept before fingerprints were (null) match any content, as they did then.
    pub fn replay(&self, submitter: &str, fingerprint: &str) -> Result<i64, AppError> {
        let same_submitter = self.submitter.as_deref().is_none_or(|s| s == submitter);
        let same_content = self.fingerprint.as_deref().is_none_or(|f| f == fingerprint);
        if same_submitter && same_content { Ok(self.record_id) } else { Err(conflict()) }
    }
}

/// Whose submission a key names: one account (`account:<username>`, a command-line actor too), or
/// the resident through their link (`resident`).
pub fn submitter(account: Option<&crate::audit::Actor>) -> String {
    match account {
        Some(actor) => format!("account:{}", actor.username),
        None => "resident".into(),
    }
}

/// The answer to a key reused for a different submission.
pub fn conflict() -> AppError {
    AppError::Conflict { message: "该幂等键(idempotency_key)已用于另一份提交:请为新的提交生成新的键".into(), existing_id: None }
}

/// A short hash of a submission's content, from its parts in a fixed order.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(submitter: Option<&str>, fingerprint: Option<&str>) -> Known {
        Known { idempotency_key: "k".into(), owner: 1, submitter: submitter.map(str::to_string), fingerprint: fingerprint.map(str::to_string), record_id: 7 }
    }

    #[test]
    fn a_retry_gets_its_record_and_another_body_or_submitter_is_a_conflict() {
        let print = fingerprint(&["am", "392"]);
        assert_eq!(known(Some("resident"), Some(&print)).replay("resident", &print).unwrap(), 7);
        assert!(matches!(known(Some("resident"), Some(&print)).replay("resident", &fingerprint(&["am", "365"])), Err(AppError::Conflict { .. })));
        assert!(matches!(known(Some("account:li"), Some(&print)).replay("account:wang", &print), Err(AppError::Conflict { .. })));
        assert_eq!(known(None, None).replay("account:wang", &print).unwrap(), 7, "a key kept before fingerprints matches anything");
    }

    #[test]
    fn parts_are_delimited_so_shifting_text_between_them_changes_the_print() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["ab", "c"]).len(), 32);
    }
}
