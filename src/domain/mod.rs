//! The pure survey model: coded values, records, field registry, state rules, edits, filters
//! and coverage statistics. No egui, no rusqlite, no file system.

pub mod admin;
pub mod codes;
pub mod date;
pub mod edit;
pub mod fields;
pub mod filter;
pub mod mapping;
pub mod privacy;
pub mod records;
pub mod rules;
pub mod stats;
pub mod survey;
