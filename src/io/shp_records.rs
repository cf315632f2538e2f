//! Framing of `.shp` records: where each record's content lies in the file, found through the
//! `.shx` index when it is sound and by walking the record headers otherwise, and a check that
//! the part and point counts a record declares fit in its content before the `shapefile` crate
//! decodes it.
//!
//! The check matters because the crate reserves memory from the declared counts: a record that
//! claims 900 million points in 100 bytes would ask for gigabytes (found by fuzzing). With the
//! check, no record makes the decoder reserve more than a few times its own size.
//!
//! Layout (ESRI Shapefile Technical Description, 1998): a 100-byte main header, then records of
//! an 8-byte big-endian header (record number, content length in 16-bit words) and the content,
//! which starts with the little-endian shape type. Multi-part shapes (PolyLine, Polygon,
//! MultiPatch and their M/Z variants) hold a 32-byte box, `NumParts`, `NumPoints`, 4 bytes per
//! part and 16 bytes per point; MultiPoint shapes hold the box, `NumPoints` and 16 bytes per point.

use std::io::Cursor;
use std::ops::Range;

use shapefile::{ReadableShape, Shape};

/// Size of the main file header of a .shp / .shx, in bytes.
pub(crate) const HEADER_LEN: usize = 100;
/// Size of a record header (record number and content length), in bytes.
const RECORD_HEADER_LEN: usize = 8;

/// Why a record cannot be framed or decoded; the message names the record (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordError {
    /// The record's header or content runs past the end of the file.
    Truncated { record: usize },
    /// The record's content does not hold what it declares.
    Malformed { record: usize, reason: String },
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::Truncated { record } => write!(
                f,
                "truncated: shape record {record} runs past the end of the file"
            ),
            RecordError::Malformed { record, reason } => {
                write!(f, "shape record {record} is malformed: {reason}")
            }
        }
    }
}

/// Reads a big-endian i32 at `at` (the caller has checked the bounds).
fn be_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let b = bytes.get(at..at + 4)?;
    Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a little-endian i32 at `at`, `None` past the end.
fn le_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let b = bytes.get(at..at + 4)?;
    Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The record start offsets (in bytes) of a `.shx` file, or why the index cannot be trusted:
/// a wrong file code or size, or entries that do not lie one after the other inside the
/// `shp_len` bytes the `.shp` declares and cover them to the end (an index with fewer entries
/// than the `.shp` has records would silently drop the rest).
pub(crate) fn shx_offsets(shx: &[u8], shp_len: usize) -> Result<Vec<usize>, String> {
    let len = shx.len();
    if len < HEADER_LEN {
        return Err(format!("only {len} bytes"));
    }
    let code = be_i32(shx, 0).unwrap_or(0);
    if code != super::shp::SHP_FILE_CODE {
        return Err(format!("file code {code}"));
    }
    let words = be_i32(shx, 24).unwrap_or(0);
    let declared = usize::try_from(words).unwrap_or(0).saturating_mul(2);
    if declared != len || !(len - HEADER_LEN).is_multiple_of(8) {
        return Err(format!("{len} bytes but its header declares {declared}"));
    }
    let entries = (len - HEADER_LEN) / 8;
    let mut offsets = Vec::with_capacity(entries);
    let mut end = HEADER_LEN;
    for i in 1..=entries {
        let at = HEADER_LEN + (i - 1) * 8;
        let offset = be_i32(shx, at).unwrap_or(-1);
        let words = be_i32(shx, at + 4).unwrap_or(-1);
        let (Ok(offset), Ok(words)) = (usize::try_from(offset), usize::try_from(words)) else {
            return Err(format!("entry {i} has a negative offset or length"));
        };
        let start = offset * 2;
        let record_end = start + RECORD_HEADER_LEN + words * 2;
        if record_end > shp_len {
            return Err(format!(
                "entry {i} points past the end of the .shp (bytes {start}…{record_end} of {shp_len})"
            ));
        }
        if start < end {
            return Err(format!(
                "entry {i} points at byte {start}, inside the header or the record before it"
            ));
        }
        offsets.push(start);
        end = record_end;
    }
    if end != shp_len {
        return Err(format!(
            "its {entries} entries end at byte {end} but the .shp has {shp_len}"
        ));
    }
    Ok(offsets)
}

/// The byte ranges of the record contents of a `.shp` held in `shp` (the whole file), up to
/// `declared_len` (the length its header declares, ≤ `shp.len()`).
///
/// With `offsets` (from [`shx_offsets`]) each record starts where the index says; without, the
/// records are walked one after the other from byte 100. A range starts at the shape type.
///
/// # Errors
/// [`RecordError::Truncated`] when a record header or content runs past `declared_len`.
pub(crate) fn frame_records(
    shp: &[u8],
    declared_len: usize,
    offsets: Option<&[usize]>,
) -> Result<Vec<Range<usize>>, RecordError> {
    let end_of_data = declared_len.min(shp.len());
    let frame_one = |record: usize, start: usize| -> Result<Range<usize>, RecordError> {
        let content_start = start + RECORD_HEADER_LEN;
        if content_start > end_of_data {
            return Err(RecordError::Truncated { record });
        }
        let words = be_i32(shp, start + 4).ok_or(RecordError::Truncated { record })?;
        let Ok(words) = usize::try_from(words) else {
            return Err(RecordError::Malformed {
                record,
                reason: format!("negative content length ({words} words)"),
            });
        };
        let content_end = content_start + words * 2;
        if content_end > end_of_data {
            return Err(RecordError::Truncated { record });
        }
        Ok(content_start..content_end)
    };
    match offsets {
        Some(offsets) => offsets
            .iter()
            .enumerate()
            .map(|(i, &start)| frame_one(i + 1, start))
            .collect(),
        None => {
            let mut ranges = Vec::new();
            let mut start = HEADER_LEN;
            while start < end_of_data {
                let range = frame_one(ranges.len() + 1, start)?;
                start = range.end;
                ranges.push(range);
            }
            Ok(ranges)
        }
    }
}

/// Checks that the part and point counts of a record fit in its `content` (which starts at the
/// shape type); `Err` gives the reason. Shape types without counts always pass; an unknown
/// shape type is left to the decoder, which rejects it.
fn check_counts(content: &[u8]) -> Result<(), String> {
    let Some(shape_type) = le_i32(content, 0) else {
        return Err(format!(
            "{} bytes of content, too short for a shape type",
            content.len()
        ));
    };
    // (offset of NumParts if any, offset of NumPoints, bytes per part)
    let layout = match shape_type {
        3 | 5 | 13 | 15 | 23 | 25 => Some((Some(36), 40, 4)),
        31 => Some((Some(36), 40, 8)),
        8 | 18 | 28 => Some((None, 36, 0)),
        _ => None,
    };
    let Some((parts_at, points_at, bytes_per_part)) = layout else {
        return Ok(());
    };
    let count = |at: usize, what: &str| -> Result<u64, String> {
        let n = le_i32(content, at).ok_or_else(|| {
            format!(
                "{} bytes of content, too short for its {what} count",
                content.len()
            )
        })?;
        u64::try_from(n).map_err(|_| format!("negative {what} count ({n})"))
    };
    let parts = match parts_at {
        Some(at) => count(at, "part")?,
        None => 0,
    };
    let points = count(points_at, "point")?;
    let needed = (points_at as u64 + 4) + parts * bytes_per_part + points * 16;
    if needed > content.len() as u64 {
        return Err(format!(
            "it declares {parts} parts and {points} points, which need {needed} bytes, \
             but its content has {}",
            content.len()
        ));
    }
    // Part k runs from index k to index k+1 (the last to NumPoints): the indices must rise
    // within 0..=NumPoints, or a part's length would be read from garbage.
    let mut previous = 0i64;
    for k in 0..parts as usize {
        let index = i64::from(le_i32(content, points_at + 4 + 4 * k).unwrap_or(-1));
        if index < previous || index > points as i64 {
            return Err(format!(
                "part {} starts at point {index}, outside {previous}…{points}",
                k + 1
            ));
        }
        previous = index;
    }
    Ok(())
}

/// Decodes record number `record` (1-based) from its `content` (a range from
/// [`frame_records`]) with the `shapefile` crate, after [`check_counts`].
///
/// # Errors
/// [`RecordError::Malformed`] for counts that do not fit, an unknown shape type or content
/// shorter than the shape needs.
pub(crate) fn decode_record(record: usize, content: &[u8]) -> Result<Shape, RecordError> {
    check_counts(content).map_err(|reason| RecordError::Malformed { record, reason })?;
    let size = i32::try_from(content.len()).map_err(|_| RecordError::Malformed {
        record,
        reason: format!("{} bytes of content", content.len()),
    })?;
    Shape::read_from(&mut Cursor::new(content), size).map_err(|e| {
        let reason = match e {
            shapefile::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                format!("its content ({size} bytes) ends before the shape does")
            }
            other => other.to_string(),
        };
        RecordError::Malformed { record, reason }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polygon_content(parts: i32, points: i32, real_points: usize) -> Vec<u8> {
        let mut c = Vec::new();
        c.extend_from_slice(&5i32.to_le_bytes());
        c.extend_from_slice(&[0u8; 32]);
        c.extend_from_slice(&parts.to_le_bytes());
        c.extend_from_slice(&points.to_le_bytes());
        c.extend_from_slice(&0i32.to_le_bytes());
        for i in 0..real_points {
            let (x, y) = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)][i % 4];
            c.extend_from_slice(&f64::to_le_bytes(x));
            c.extend_from_slice(&f64::to_le_bytes(y));
        }
        c
    }

    #[test]
    fn a_sound_polygon_decodes() {
        let content = polygon_content(1, 4, 4);
        let shape = decode_record(1, &content);
        assert!(matches!(shape, Ok(Shape::Polygon(p)) if p.total_point_count() == 4));
    }

    #[test]
    fn counts_larger_than_the_content_are_refused_before_decoding() {
        // The fuzzer's case: a huge part count in a small record.
        let content = polygon_content(900_000_000, 4, 4);
        let Err(err) = decode_record(7, &content) else {
            panic!("decoded")
        };
        let text = err.to_string();
        assert!(text.contains("shape record 7"), "{text}");
        assert!(text.contains("900000000 parts"), "{text}");
        let content = polygon_content(1, i32::MAX, 4);
        assert!(decode_record(1, &content).is_err());
        let content = polygon_content(-1, 4, 4);
        let Err(err) = decode_record(1, &content) else {
            panic!("decoded")
        };
        assert!(err.to_string().contains("negative part count"), "{err}");
        assert!(decode_record(1, &[5, 0]).is_err());
        // A part index below the previous one or past the point count (the fuzzer's second
        // case: a negative start made the crate reserve 16 GB).
        let mut content = polygon_content(2, 4, 4);
        content.truncate(44);
        content.extend_from_slice(&0i32.to_le_bytes());
        content.extend_from_slice(&(-1_000_000_000i32).to_le_bytes());
        content.extend_from_slice(&[0u8; 64]);
        let Err(err) = decode_record(3, &content) else {
            panic!("decoded")
        };
        assert!(
            err.to_string()
                .contains("part 2 starts at point -1000000000"),
            "{err}"
        );
    }

    fn shp_with(contents: &[Vec<u8>]) -> Vec<u8> {
        let mut shp = vec![0u8; HEADER_LEN];
        for (i, c) in contents.iter().enumerate() {
            shp.extend_from_slice(&(i as i32 + 1).to_be_bytes());
            shp.extend_from_slice(&((c.len() / 2) as i32).to_be_bytes());
            shp.extend_from_slice(c);
        }
        shp
    }

    #[test]
    fn records_are_walked_and_truncation_is_named() {
        let a = polygon_content(1, 4, 4);
        let shp = shp_with(&[a.clone(), a.clone()]);
        let ranges = frame_records(&shp, shp.len(), None).unwrap();
        assert_eq!(ranges.len(), 2);
        assert_eq!(ranges[0], 108..108 + a.len());
        assert_eq!(
            frame_records(&shp, shp.len() - 3, None),
            Err(RecordError::Truncated { record: 2 })
        );
        let offsets = [HEADER_LEN, HEADER_LEN + 8 + a.len()];
        assert_eq!(
            frame_records(&shp, shp.len(), Some(&offsets)).unwrap(),
            ranges
        );
    }
}
