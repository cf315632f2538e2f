//! Streaming GeoJSON writer (RFC 7946): WGS84 lon/lat (EPSG:4490 coordinates are written as is;
//! CGCS2000 and WGS84 differ by < 0.1 m), exterior rings counter-clockwise and holes clockwise
//! (the right-hand rule, §3.1.6), coordinates rounded to 7 decimals (~1 cm), no `crs` member.
//! The file is written to a temporary sibling and renamed on success: a failed export leaves
//! nothing behind.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use geo::orient::{Direction, Orient};
use geo_types::{Coord, MultiPolygon};
use geojson::{Feature, Geometry, GeometryValue, JsonObject};

/// Export failures, naming the output file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// File system failure.
    #[error("{path}: {source}")]
    Io {
        /// The output file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// JSON serialisation failure.
    #[error("{path}: {source}")]
    Json {
        /// The output file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
}

/// Rounds to 7 decimal places (RFC 7946 §11.2 recommends no more precision than needed).
pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A multipolygon as an RFC 7946 geometry: right-hand rule, 7 decimals.
pub fn rfc7946_geometry(mp: &MultiPolygon<f64>) -> Geometry {
    let mut oriented = mp.orient(Direction::Default);
    use geo::MapCoordsInPlace;
    oriented.map_coords_in_place(|c| Coord {
        x: round7(c.x),
        y: round7(c.y),
    });
    Geometry::new(GeometryValue::from(&oriented))
}

/// Writes a FeatureCollection feature by feature. Returns the number of features written.
pub fn write_feature_collection(
    path: &Path,
    features: impl Iterator<Item = (MultiPolygon<f64>, JsonObject)>,
) -> Result<usize, WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".fangcha-export-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io)?;
    let mut n = 0usize;
    {
        let mut w = BufWriter::new(tmp.as_file());
        w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")
            .map_err(io)?;
        for (mp, props) in features {
            if n > 0 {
                w.write_all(b",\n").map_err(io)?;
            }
            let f = Feature {
                bbox: None,
                geometry: (!mp.0.is_empty()).then(|| rfc7946_geometry(&mp)),
                id: None,
                properties: Some(props),
                foreign_members: None,
            };
            serde_json::to_writer(&mut w, &f).map_err(|source| WriteError::Json {
                path: path.to_path_buf(),
                source,
            })?;
            n += 1;
        }
        w.write_all(b"\n]}\n").map_err(io)?;
        w.flush().map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn writes_right_hand_rule_and_7_decimals() {
        // clockwise exterior must come out counter-clockwise
        let cw = polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.123456789), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 0.0)];
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("o.geojson");
        let mut props = JsonObject::new();
        props.insert("k".into(), "图斑".into());
        let n = write_feature_collection(&out, std::iter::once((MultiPolygon(vec![cw]), props)))
            .expect("write");
        assert_eq!(n, 1);
        let text = std::fs::read_to_string(&out).expect("read");
        let fc: geojson::FeatureCollection = text
            .parse::<geojson::GeoJson>()
            .expect("parse")
            .try_into()
            .expect("fc");
        let g = fc.features[0].geometry.as_ref().expect("geom");
        let mp: MultiPolygon<f64> = (&g.value).try_into().expect("mp");
        use geo::Winding;
        assert!(mp.0[0].exterior().is_ccw());
        assert!(text.contains("1.1234568"));
        assert!(!text.contains("crs"));
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "no temporary file left"
        );
    }
}
