//! Fangkong (防控): a city's epidemic prevention-and-control command platform.
//! Modules are features; each holds its types, rules, storage, API and pages.

pub mod audit;
pub mod auth;
pub mod cases;
pub mod checkpoints;
pub mod cli;
pub mod clock;
pub mod command;
pub mod counts;
pub mod db;
pub mod demo;
pub mod error;
pub mod format;
pub mod help;
pub mod idempotency;
mod labels;
pub mod ledger_io;
pub mod observation;
pub mod org;
pub mod people;
pub mod reports;
pub mod sanitation;
pub mod screening;
pub mod web;
