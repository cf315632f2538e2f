//! One entry point for all readers: picks the reader from the file extension.

use std::path::Path;

use super::error::ReadError;
use super::source::RawLayer;

/// Options of [`read_layer`].
#[derive(Debug, Default, Clone)]
pub struct ReadOptions {
    /// Text encoding of a Shapefile's `.dbf` (`--encoding`, e.g. `GBK`, `GB18030`, `UTF-8`,
    /// `936`); `None` detects it. Ignored for other formats.
    pub encoding: Option<String>,
    /// GeoPackage table to read (`--layer`); `None` reads the first polygon layer. Ignored for
    /// other formats.
    pub layer: Option<String>,
}

/// Reads the polygon features of a file, dispatching on its extension (case-insensitive):
/// `.shp` → [`super::shp::read_shapefile`], `.geojson` / `.json` →
/// [`super::geojson_in::read_geojson`], `.gpkg` → [`super::gpkg_in::read_gpkg_layer`].
///
/// The layer is returned in the file's own CRS (see [`RawLayer::declared_crs`]).
///
/// # Errors
/// [`ReadError::UnsupportedFormat`] for any other extension; otherwise the reader's errors.
pub fn read_layer(path: &Path, opts: &ReadOptions) -> Result<RawLayer, ReadError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "shp" => super::shp::read_shapefile(path, opts.encoding.as_deref()),
        "geojson" | "json" => super::geojson_in::read_geojson(path),
        "gpkg" => super::gpkg_in::read_gpkg_layer(path, opts.layer.as_deref()),
        _ => Err(ReadError::UnsupportedFormat {
            path: path.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn data(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel)
    }

    #[test]
    fn dispatches_on_the_extension() {
        let shp =
            read_layer(&data("odd/gbk_no_cpg/面84.shp"), &ReadOptions::default()).expect("shp");
        assert_eq!(shp.features.len(), 1);

        let opts = ReadOptions {
            layer: Some("buildings".into()),
            ..ReadOptions::default()
        };
        let gpkg = read_layer(&data("real/bubenec.gpkg"), &opts).expect("gpkg");
        assert_eq!(gpkg.features.len(), 144);

        let json = read_layer(
            &data("real/kunming_buildings.geojson"),
            &ReadOptions::default(),
        )
        .expect("geojson");
        assert_eq!(json.features.len(), 140);

        let dir = tempfile::tempdir().expect("tempdir");
        let upper = dir.path().join("A.GEOJSON");
        std::fs::write(
            &upper,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
        )
        .expect("write");
        assert_eq!(
            read_layer(&upper, &ReadOptions::default())
                .expect("upper case")
                .features
                .len(),
            1
        );

        let err =
            read_layer(Path::new("/tmp/parcels.kml"), &ReadOptions::default()).expect_err("kml");
        assert!(matches!(err, ReadError::UnsupportedFormat { .. }));
        assert!(err.to_string().contains("parcels.kml"));
        assert!(read_layer(Path::new("noextension"), &ReadOptions::default()).is_err());
    }

    #[test]
    fn encoding_override_reaches_the_shapefile_reader() {
        let opts = ReadOptions {
            encoding: Some("UTF-8".into()),
            ..ReadOptions::default()
        };
        let layer = read_layer(&data("odd/gbk_no_cpg/面84.shp"), &opts).expect("read");
        assert_eq!(layer.encoding.as_deref(), Some("UTF-8 (user override)"));
        let opts = ReadOptions {
            encoding: Some("martian".into()),
            ..ReadOptions::default()
        };
        assert!(matches!(
            read_layer(&data("odd/gbk_no_cpg/面84.shp"), &opts),
            Err(ReadError::UnknownEncoding { .. })
        ));
    }
}
