//! The person registry (人员库): identity documents, validation, de-duplication, masking.

pub mod api;
pub mod input;
pub mod merge;
pub mod merge_web;
pub mod pages;
pub mod store;
pub mod view;

pub use input::{IdType, PersonInput, ValidPerson};
pub use view::PersonView;
