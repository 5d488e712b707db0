//! Closed lists of codes with Chinese and English labels (categories, statuses, kinds), declared once
//! each. Storage and the API use the code; pages show the label in the reader's language.

/// A closed list with Chinese and English labels, stored by its English code.
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
            /// The label in the reader's language (by value in code, by reference in templates).
            pub fn label(self, lang: impl std::borrow::Borrow<crate::web::i18n::Lang>) -> &'static str {
                lang.borrow().pick(self.zh(), self.en())
            }
            /// Accepts the code or the Chinese label (as found in people's spreadsheets).
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.zh() == s)
            }
            /// `(code, label)` pairs for select boxes, in the reader's language.
            pub fn options(lang: crate::web::i18n::Lang) -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.as_str(), v.label(lang))).collect()
            }
        }
    };
}
pub(crate) use labelled_enum;
