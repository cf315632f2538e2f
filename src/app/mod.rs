//! UI-agnostic application layer: the import pipeline and the open project with its commands
//! (edits with undo/redo, statistics, export). The GUI and the CLI both call these.

pub mod export;
pub mod import;
pub mod project;
