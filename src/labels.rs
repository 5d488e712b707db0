//! Closed lists of codes with Chinese labels (categories, statuses, kinds), declared once each.

/// A closed list with Chinese labels, stored by its English code.
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal;)+ }) => {
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
            /// Accepts the code or the Chinese label (as found in people's spreadsheets).
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.zh() == s)
            }
            /// `(code, label)` pairs for select boxes.
            pub fn options() -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.as_str(), v.zh())).collect()
            }
        }
    };
}
pub(crate) use labelled_enum;
