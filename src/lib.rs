//! 房查 fangcha — a desktop GIS for the self-built house safety campaign (自建房安全专项整治)
//! and the housing part of the natural-disaster risk census (自然灾害综合风险普查 房屋建筑调查).
//!
//! Layers (dependencies point one way): `domain` ← `spatial`, `io`, `store` ← `app` ← `cli`.
//! See README.md for the module map.

pub mod app;
pub mod cli;
pub mod domain;
pub mod io;
pub mod spatial;
pub mod store;
#[cfg(feature = "gui")]
pub mod ui;
