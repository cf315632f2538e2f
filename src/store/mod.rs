//! The project file: an OGC GeoPackage (OGC 12-128r18) written with rusqlite, which QGIS and
//! GDAL open as is. Survey records live in its feature tables; every edit is also appended to
//! the `edit_log` table.

pub mod geom;
pub mod lock;
pub mod project_file;
pub mod rtree_bulk;
pub mod schema;

pub use project_file::{
    EditAction, EditLogEntry, Overlay, ProjectData, ProjectFile, SourceAttrs, StoreError, write_new,
};
