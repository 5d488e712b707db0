//! Interface language: Simplified Chinese by default, English selectable (cookie `fk_lang`).
//! Templates carry both texts side by side (`t.pick("登记", "Register")`), so a page can never show a
//! missing key; closed lists carry both labels (`labelled_enum!`). Field error messages stay in
//! Chinese, the working language of the platform (see "Two languages" in docs/architecture.md).

use axum::http::request::Parts;

pub const LANG_COOKIE: &str = "fk_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Lang {
        match crate::auth::caller::cookie(headers, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub const fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}
