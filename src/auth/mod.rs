//! Accounts, roles, sessions, API tokens and the caller's jurisdiction scope.

pub mod api;
pub mod caller;
pub mod pages;
pub mod password;
pub mod role;
pub mod sessions;
pub mod store;
pub mod throttle;

pub use caller::Caller;
pub use role::{Permission, Role};
