//! Argon2id password hashes in PHC format. Hashing is CPU-heavy: call these from `spawn_blocking`.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub const MIN_LENGTH: usize = 8;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    Ok(hash.to_string())
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Passwords tried first by anyone guessing (the commonest in leaked lists, Chinese ones among them).
const COMMON: [&str; 24] = [
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "11111111",
    "88888888",
    "66666666",
    "qwertyui",
    "qwerty123",
    "1qaz2wsx",
    "1q2w3e4r",
    "abc12345",
    "abcd1234",
    "a1234567",
    "a123456789",
    "iloveyou",
    "woaini1314",
    "admin123",
    "admin888",
    "zxcvbnm1",
    "asdfghjk",
];

/// Words that make a password guessable whatever is added around them (`P@ssw0rd1`, `qwerty123`).
const GUESSABLE_WORDS: [&str; 12] = ["password", "passwd", "qwerty", "qwertyuiop", "asdfgh", "zxcvbn", "admin", "iloveyou", "woaini", "hengyang", "fangkong", "abc"];

/// A password as guessers try its variants: lower case, look-alike digits and symbols read as
/// letters, everything else dropped (`P@ssw0rd!1` is `password`).
fn skeleton(password: &str) -> String {
    password
        .chars()
        .filter_map(|c| match c.to_ascii_lowercase() {
            '@' | '4' => Some('a'),
            '0' => Some('o'),
            '1' | '!' => Some('i'),
            '3' => Some('e'),
            '$' | '5' => Some('s'),
            c if c.is_ascii_lowercase() => Some(c),
            _ => None,
        })
        .collect()
}

/// Checks a new password against the policy; the message is shown beside the field.
pub fn check_policy(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_LENGTH {
        return Err("密码至少 8 位");
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err("密码不能全是数字");
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let letters = skeleton(password);
    let chars: Vec<char> = password.to_lowercase().chars().collect();
    let repeated = (1..chars.len()).any(|p| chars.len().is_multiple_of(p) && chars.chunks(p).all(|c| c == &chars[..p]));
    let guessable = GUESSABLE_WORDS.iter().any(|w| letters.trim_end_matches('i') == *w || letters.starts_with(w) && letters[w.len()..].chars().all(|c| "iaoes".contains(c)));
    if distinct.len() < 4 || guessable || repeated || COMMON.iter().any(|c| c.eq_ignore_ascii_case(password)) || !password.is_ascii() && password.chars().all(|c| c.is_numeric()) {
        return Err("密码太简单或太常见,容易被猜中,请换一个");
    }
    Ok(())
}

/// A random password for generated accounts: 16 characters without look-alikes (0/O, 1/l/I).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("OS random source");
    bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn short_and_digit_only_passwords_are_refused() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("12345678").is_err());
        assert!(check_policy("marsh-lantern-7").is_ok());
        assert!(check_policy("password").is_err() && check_policy("PassWord1").is_err(), "common ones");
        assert!(check_policy("aaaaaaaaaaaa").is_err() && check_policy("abababab").is_err(), "too few characters");
        for guessable in ["P@ssw0rd", "Passw0rd!", "qwertyuiop", "qwerty123", "admin123456", "passwordpassword", "１２３４５６７８"] {
            assert!(check_policy(guessable).is_err(), "{guessable}");
        }
        assert!(check_policy("hengyang2020").is_err(), "the city and a year");
        assert!(check_policy("long-enough-1").is_ok() && check_policy("a-new-long-password").is_ok());
        assert_eq!(generate().len(), 16);
    }
}
