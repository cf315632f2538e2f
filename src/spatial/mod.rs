//! Geometry storage for many polygons, the R-tree, picking, viewport queries, spatial joins
//! and CRS handling with PROJ.

pub mod crs;
pub mod geometry;
pub mod index;
