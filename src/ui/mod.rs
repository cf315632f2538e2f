//! The desktop user interface (egui/eframe only): map canvas, layer panel and legend,
//! inspector form, filter panel with result table, statistics dashboard, edit history,
//! import wizard, dialogs, CJK font. Widgets are rebuilt every frame from state the app owns
//! and push [`crate::app::session::Command`]s.

pub mod app;
pub mod colors;
pub mod filter_panel;
pub mod fonts;
pub mod history;
pub mod i18n;
pub mod import_wizard;
pub mod inspector;
pub mod map;
pub mod map_layers;
pub mod stats_panel;
