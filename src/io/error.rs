//! The one error type of the file readers.
//!
//! Every variant that concerns a file carries its path, and every message is a single English
//! line that names that file, ready to be printed as `fangcha: error: <message>`. The message
//! already includes the text of the underlying cause, which is also kept as the error's
//! [`source`](std::error::Error::source) for programs that want to inspect it (so do not print
//! the source chain again after the message).

use std::path::PathBuf;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file (or a required companion file) could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file that could not be opened.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// Reading an opened file failed part way.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The shapefile library rejected the .shp or .shx file.
    #[error("{} is not a readable shapefile: {source}", path.display())]
    Shapefile {
        /// The .shp (or .shx) file.
        path: PathBuf,
        /// The library's reason.
        #[source]
        source: shapefile::Error,
    },
    /// The file is JSON but not GeoJSON (wrong or missing `type`, bad coordinates ...).
    #[error("{} is not valid GeoJSON: {source}", path.display())]
    GeoJson {
        /// The GeoJSON file.
        path: PathBuf,
        /// The parser's reason.
        #[source]
        source: geojson::Error,
    },
    /// The file is not JSON at all (syntax error, truncated text).
    #[error("{} is not valid JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's reason, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// SQLite failed while reading a GeoPackage.
    #[error("cannot read GeoPackage {}: {source}", path.display())]
    Sqlite {
        /// The .gpkg file.
        path: PathBuf,
        /// SQLite's reason.
        #[source]
        source: rusqlite::Error,
    },
    /// A problem found by the readers themselves: missing companion files, truncated files,
    /// a .gpkg that is not a GeoPackage, an unknown `srs_id`, a layer that does not exist ...
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The offending file.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },
    /// A text encoding name given by the user is not known.
    #[error("unknown text encoding “{label}” (try GBK, GB18030 or UTF-8)")]
    UnknownEncoding {
        /// The name as given.
        label: String,
    },
    /// The file extension is not one of the readable formats.
    #[error(
        "{}: unsupported file type (expected .shp, .geojson, .json or .gpkg)",
        path.display()
    )]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
}

impl ReadError {
    /// Shorthand for [`ReadError::Invalid`].
    pub fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ReadError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The file the error is about, when there is one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            ReadError::Open { path, .. }
            | ReadError::Io { path, .. }
            | ReadError::Shapefile { path, .. }
            | ReadError::GeoJson { path, .. }
            | ReadError::Json { path, .. }
            | ReadError::Sqlite { path, .. }
            | ReadError::Invalid { path, .. }
            | ReadError::UnsupportedFormat { path } => Some(path),
            ReadError::UnknownEncoding { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_name_the_file() {
        let e = ReadError::Open {
            path: PathBuf::from("/data/面84.shp"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory"),
        };
        let text = e.to_string();
        assert!(text.contains("面84.shp"), "{text}");
        assert!(!text.contains('\n'));
        assert!(std::error::Error::source(&e).is_some());

        let e = ReadError::invalid("/data/a.gpkg", "not a GeoPackage");
        assert_eq!(e.to_string(), "/data/a.gpkg: not a GeoPackage");
        assert_eq!(e.path(), Some(std::path::Path::new("/data/a.gpkg")));

        let e = ReadError::UnknownEncoding {
            label: "klingon".into(),
        };
        assert!(e.to_string().contains("klingon"));
        assert!(e.path().is_none());
    }
}
