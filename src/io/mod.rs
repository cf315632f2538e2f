//! Import and export of files: Shapefile (with DBF encoding detection), GeoJSON, GeoPackage
//! layers, code lists. Readers return a [`source::RawLayer`] in the file's own CRS.

pub mod code_list;
pub mod encoding;
pub mod error;
pub mod geojson_in;
pub mod geojson_out;
pub mod gpkg_in;
pub mod read;
pub mod shp;
pub mod shp_out;
mod shp_records;
pub mod source;
