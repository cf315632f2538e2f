//! The project file: an OGC GeoPackage written with rusqlite.
