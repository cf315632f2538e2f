//! UI-agnostic application layer: the import pipeline and the open project with its commands
//! (edits with undo/redo, statistics, export). The GUI and the CLI both call these.

pub mod export;
pub mod generate;
pub mod import;
pub mod jobs;
pub mod project;
pub mod session;
pub mod theme;
