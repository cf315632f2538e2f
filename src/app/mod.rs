//! UI-agnostic application state and commands.
