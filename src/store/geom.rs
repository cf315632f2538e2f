//! GeoPackage geometry blobs (OGC 12-128r18 §2.1.3 GeoPackageBinary): header `GP`, version,
//! flags, srs_id, envelope `[min_x, max_x, min_y, max_y]`, then ISO WKB. Encoding and decoding
//! of the WKB part is geozero's; this file adds the envelope and the SQL functions
//! (`ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY`, `ST_IsEmpty`) the rtree triggers call.

use geo_types::{Geometry, MultiPolygon};
use geozero::{CoordDimensions, ToWkb};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

use crate::spatial::geometry::Bbox;

/// Geometry encoding/decoding failure.
#[derive(Debug, thiserror::Error)]
pub enum GeomError {
    /// geozero could not encode or decode the WKB.
    #[error("geometry blob: {0}")]
    Wkb(#[from] geozero::error::GeozeroError),
    /// The blob is not a GeoPackage geometry.
    #[error("geometry blob is not GeoPackageBinary ({0})")]
    NotGpkg(&'static str),
}

/// Encodes a multipolygon as GeoPackageBinary with an xy envelope (empty flag set when empty).
pub fn encode_multipolygon(
    mp: &MultiPolygon<f64>,
    srs_id: i32,
    bbox: &Bbox,
) -> Result<Vec<u8>, GeomError> {
    let envelope = if bbox.is_empty() {
        Vec::new()
    } else {
        vec![bbox.min_x, bbox.max_x, bbox.min_y, bbox.max_y]
    };
    let geom = Geometry::MultiPolygon(mp.clone());
    Ok(geom.to_gpkg_wkb(CoordDimensions::xy(), Some(srs_id), envelope)?)
}

/// Decodes a GeoPackageBinary blob into a geo-types geometry (its polygons; other geometry
/// types decode as an empty multipolygon). Uses the import's bounds-checked decoder: a corrupt
/// blob is an error, never an allocation driven by counts stored in the blob (fuzzing found
/// geozero's reader aborting on such blobs).
pub fn decode(blob: &[u8]) -> Result<Geometry<f64>, GeomError> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return Err(GeomError::NotGpkg("missing GP magic"));
    }
    match crate::io::gpkg_in::decode_polygons(blob) {
        Ok(Some(mp)) => Ok(Geometry::MultiPolygon(mp)),
        Ok(None) => Ok(Geometry::MultiPolygon(MultiPolygon(Vec::new()))),
        Err(_) => Err(GeomError::NotGpkg("malformed WKB")),
    }
}

/// Header facts of a blob: (empty flag, envelope as [min_x, max_x, min_y, max_y] when present).
fn header(blob: &[u8]) -> Option<(bool, Option<[f64; 4]>)> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return None;
    }
    let flags = blob[3];
    let little = flags & 1 == 1;
    let empty = flags & 0b1_0000 != 0;
    let env_kind = (flags >> 1) & 0b111;
    if env_kind == 0 {
        return Some((empty, None));
    }
    let read = |i: usize| -> Option<f64> {
        let b: [u8; 8] = blob.get(8 + i * 8..16 + i * 8)?.try_into().ok()?;
        Some(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    };
    Some((empty, Some([read(0)?, read(1)?, read(2)?, read(3)?])))
}

/// Envelope of a blob: from the header when present, else by decoding it.
pub fn envelope(blob: &[u8]) -> Option<[f64; 4]> {
    match header(blob)? {
        (true, _) => None,
        (false, Some(env)) => Some(env),
        (false, None) => {
            let g = decode(blob).ok()?;
            let mut b = Bbox::EMPTY;
            use geo::CoordsIter;
            for c in g.coords_iter() {
                b.expand(c.x, c.y);
            }
            (!b.is_empty()).then_some([b.min_x, b.max_x, b.min_y, b.max_y])
        }
    }
}

/// Registers `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` on a connection so the
/// GeoPackage rtree triggers work when geometries are inserted or updated (GDAL does the same).
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for (name, i) in [
        ("ST_MinX", 0usize),
        ("ST_MaxX", 1),
        ("ST_MinY", 2),
        ("ST_MaxY", 3),
    ] {
        conn.create_scalar_function(name, 1, flags, move |ctx| {
            let blob: Option<Vec<u8>> = ctx.get(0)?;
            Ok(blob.and_then(|b| envelope(&b)).map(|e| e[i]))
        })?;
    }
    conn.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        let blob: Option<Vec<u8>> = ctx.get(0)?;
        Ok(blob.map(|b| match header(&b) {
            Some((empty, env)) => empty || (env.is_none() && envelope(&b).is_none()),
            None => true,
        }))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn round_trip_with_envelope() {
        let mp = MultiPolygon(vec![
            polygon![(x: 1.0, y: 2.0), (x: 3.0, y: 2.0), (x: 3.0, y: 5.0), (x: 1.0, y: 2.0)],
        ]);
        let bbox = Bbox {
            min_x: 1.0,
            min_y: 2.0,
            max_x: 3.0,
            max_y: 5.0,
        };
        let blob = encode_multipolygon(&mp, 4490, &bbox).expect("encode");
        assert_eq!(&blob[0..2], b"GP");
        assert_eq!(
            i32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]),
            4490
        );
        assert_eq!(envelope(&blob), Some([1.0, 3.0, 2.0, 5.0]));
        match decode(&blob).expect("decode") {
            Geometry::MultiPolygon(back) => assert_eq!(back, mp),
            other => panic!("{other:?}"),
        }
        assert!(decode(b"not a blob").is_err());
        assert!(envelope(b"xx").is_none());
    }
}
