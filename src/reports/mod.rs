//! The command centre's reports: the daily report at every level (page, JSON, `.xlsx`, command line).

pub mod api;
pub mod daily;
pub mod dashboard;
pub mod pages;
pub mod xlsx;
