//! Geometry storage, spatial index, picking, joins and CRS handling.
