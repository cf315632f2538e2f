//! Text encoding of DBF files (the attribute tables of Shapefiles).
//!
//! Order of evidence, as in DESIGN §2:
//! 1. an explicit override (`--encoding`), which always wins;
//! 2. the `.cpg` file next to the `.dbf` (ESRI labels such as `936`, `ANSI 936`, `GB2312`,
//!    `UTF-8`, `65001`, `88591`, plus every WHATWG label known to `encoding_rs`);
//! 3. the DBF language driver byte (offset 29 of the header);
//! 4. the content: all character field bytes (and field names) are checked; valid UTF-8 means
//!    UTF-8, anything else is read as GBK (with the GB18030 decoder, a superset).
//!
//! The content check is also a sanity check on steps 2 and 3: a declaration that the content
//! contradicts beyond doubt is overruled, and the description says so. That covers the two
//! mistakes met in Chinese data: a `.cpg` or language driver saying UTF-8 on GBK text
//! (not valid UTF-8 → GBK), and a GBK/ANSI declaration on text that is valid UTF-8 with
//! non-ASCII characters (→ UTF-8; real GBK or Latin text is practically never valid UTF-8).
//!
//! This module also holds the small DBF header parser shared with the Shapefile reader.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::Encoding;

use super::error::ReadError;

/// Size of the fixed DBF header and of one field descriptor, in bytes.
const DBF_BLOCK: usize = 32;
/// Marks the end of the field descriptors.
const DESCRIPTOR_TERMINATOR: u8 = 0x0D;

/// Detects the text encoding of a DBF file.
///
/// `override_label` (from `--encoding`) is used as is when given; otherwise the `.cpg` file
/// next to `dbf_path`, the language driver byte and the content decide (see the module docs).
///
/// Returns the encoding and a human-readable account of how it was chosen, for example
/// `"GBK (DBF language driver 0x4D)"`, `"UTF-8 (.cpg)"` or
/// `"UTF-8 (content is valid UTF-8; no .cpg, language driver 0x00)"`.
///
/// # Errors
/// [`ReadError::UnknownEncoding`] for an override that names no known encoding;
/// [`ReadError::Open`], [`ReadError::Io`] or [`ReadError::Invalid`] when the DBF file cannot
/// be opened or its header is not a DBF header.
pub fn detect_dbf_encoding(
    dbf_path: &Path,
    override_label: Option<&str>,
) -> Result<(&'static Encoding, String), ReadError> {
    if let Some(label) = override_label {
        let enc = encoding_for_label(label).ok_or_else(|| ReadError::UnknownEncoding {
            label: label.to_string(),
        })?;
        return Ok((enc, format!("{} (user override)", display_name(enc))));
    }

    let header = read_dbf_header(dbf_path)?;
    let cpg = super::shp::sibling_file(dbf_path, "cpg");
    let mut notes: Vec<String> = Vec::new();

    // What the files declare: the .cpg first, then the language driver.
    let mut declared: Option<(&'static Encoding, String)> = None;
    match &cpg {
        Some(cpg_path) => {
            let label = read_cpg_label(cpg_path)?;
            match encoding_for_label(&label) {
                Some(enc) => declared = Some((enc, ".cpg".to_string())),
                None if label.is_empty() => notes.push("empty .cpg".to_string()),
                None => notes.push(format!(".cpg “{label}” not recognised")),
            }
        }
        None => notes.push("no .cpg".to_string()),
    }
    if declared.is_none() {
        match ldid_meaning(header.ldid) {
            Ldid::Encoding(enc) => {
                declared = Some((enc, format!("DBF language driver 0x{:02X}", header.ldid)));
            }
            Ldid::Unsupported(code_page) => notes.push(format!(
                "language driver 0x{:02X} (code page {code_page}, not supported)",
                header.ldid
            )),
            Ldid::SystemAnsi => {
                notes.push(format!(
                    "language driver 0x{:02X} (system ANSI)",
                    header.ldid
                ));
            }
            Ldid::Unknown => notes.push(format!("language driver 0x{:02X}", header.ldid)),
        }
    }

    let scan = scan_content(dbf_path, &header)?;
    let gbk = encoding_rs::GB18030;
    Ok(match declared {
        Some((enc, how)) => {
            if enc == encoding_rs::UTF_8 && scan.verdict == Content::NotUtf8 {
                (
                    gbk,
                    format!("GBK (content is not valid UTF-8 although the {how} says UTF-8)"),
                )
            } else if enc != encoding_rs::UTF_8
                && scan.verdict == Content::Utf8
                && scan.utf8_chars >= UTF8_EVIDENCE
            {
                (
                    encoding_rs::UTF_8,
                    format!(
                        "UTF-8 (content is valid UTF-8 although the {how} says {})",
                        display_name(enc)
                    ),
                )
            } else {
                (enc, format!("{} ({how})", display_name(enc)))
            }
        }
        None => {
            let why = notes.join(", ");
            match scan.verdict {
                Content::Utf8 => (
                    encoding_rs::UTF_8,
                    format!("UTF-8 (content is valid UTF-8; {why})"),
                ),
                Content::Ascii => (
                    encoding_rs::UTF_8,
                    format!("UTF-8 (content is plain ASCII; {why})"),
                ),
                Content::NotUtf8 => (gbk, format!("GBK (content is not valid UTF-8; {why})")),
            }
        }
    })
}

/// Maps an encoding name to an encoding: ESRI `.cpg` forms (`936`, `CP936`, `ANSI 936`,
/// `GB2312`, `GB18030`, `UTF8`, `65001`, `88591`, `8859-5`, `1252` ...) and every WHATWG label
/// known to `encoding_rs` (`gbk`, `utf-8`, `big5`, `windows-1252` ...). Case-insensitive.
///
/// Returns `None` for unknown names and for encodings that cannot hold DBF text
/// (UTF-16, `replacement`).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let trimmed = label.trim().trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return None;
    }
    let upper = trimmed.to_ascii_uppercase();
    let bare = upper
        .strip_prefix("ANSI ")
        .or_else(|| upper.strip_prefix("OEM "))
        .map(str::trim)
        .unwrap_or(&upper);
    let found = match bare {
        "UTF-8" | "UTF8" | "UTF_8" | "65001" | "CP65001" => Some(encoding_rs::UTF_8),
        "936" | "CP936" | "MS936" | "WINDOWS-936" | "GBK" | "X-GBK" => Some(encoding_rs::GBK),
        "GB2312" | "GB_2312" | "GB2312-80" | "20936" | "EUC-CN" | "EUCCN" => Some(encoding_rs::GBK),
        "GB18030" | "GB-18030" | "54936" => Some(encoding_rs::GB18030),
        "950" | "CP950" | "BIG5" | "BIG-5" => Some(encoding_rs::BIG5),
        "932" | "CP932" | "SJIS" | "SHIFT_JIS" | "SHIFT-JIS" => Some(encoding_rs::SHIFT_JIS),
        "949" | "CP949" | "EUC-KR" | "EUCKR" => Some(encoding_rs::EUC_KR),
        "874" | "CP874" => Some(encoding_rs::WINDOWS_874),
        "866" | "CP866" => Some(encoding_rs::IBM866),
        "LATIN1" => Some(encoding_rs::WINDOWS_1252),
        _ => windows_code_page(bare).or_else(|| iso_8859(bare)),
    };
    let enc = found.or_else(|| Encoding::for_label(trimmed.as_bytes()))?;
    let unusable = enc == encoding_rs::UTF_16LE
        || enc == encoding_rs::UTF_16BE
        || enc == encoding_rs::REPLACEMENT
        || enc == encoding_rs::X_USER_DEFINED;
    if unusable { None } else { Some(enc) }
}

/// `1250`..`1258`, `CP1252`, `WINDOWS-1252`.
fn windows_code_page(upper: &str) -> Option<&'static Encoding> {
    let digits = upper
        .strip_prefix("CP")
        .or_else(|| upper.strip_prefix("WINDOWS-"))
        .unwrap_or(upper);
    let n: u32 = digits.parse().ok()?;
    if (1250..=1258).contains(&n) {
        Encoding::for_label(format!("windows-{n}").as_bytes())
    } else {
        None
    }
}

/// `88591`, `8859-1`, `ISO8859-1`, `ISO-8859-15`, `ISO_8859_2` ...
fn iso_8859(upper: &str) -> Option<&'static Encoding> {
    let compact: String = upper
        .chars()
        .filter(|c| *c != '-' && *c != '_' && *c != ' ')
        .collect();
    let part = compact
        .strip_prefix("ISO")
        .unwrap_or(&compact)
        .strip_prefix("8859")?;
    let n: u32 = part.parse().ok()?;
    Encoding::for_label(format!("iso-8859-{n}").as_bytes())
}

/// A short display name: `UTF-8`, `GBK`, `GB18030`, `Big5`, `windows-1252` ...
pub fn display_name(enc: &'static Encoding) -> &'static str {
    if enc == encoding_rs::GB18030 {
        "GB18030"
    } else {
        enc.name()
    }
}

/// What a DBF language driver ID (LDID, header byte 29) says.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ldid {
    /// A code page that `encoding_rs` can decode.
    Encoding(&'static Encoding),
    /// A DOS code page `encoding_rs` does not have (437, 850, ...).
    Unsupported(u16),
    /// 0x57: "the system's ANSI code page", i.e. unknown.
    SystemAnsi,
    /// 0x00 or an undocumented value.
    Unknown,
}

/// The ESRI / dBase language driver table (as documented for ArcGIS and dBase IV–7).
fn ldid_meaning(ldid: u8) -> Ldid {
    use encoding_rs as e;
    match ldid {
        0x03 | 0x58 | 0x59 => Ldid::Encoding(e::WINDOWS_1252),
        0x04 => Ldid::Encoding(e::MACINTOSH),
        0x13 | 0x7B => Ldid::Encoding(e::SHIFT_JIS),
        0x26 | 0x65 => Ldid::Encoding(e::IBM866),
        0x4D | 0x7A => Ldid::Encoding(e::GBK),
        0x4E | 0x79 => Ldid::Encoding(e::EUC_KR),
        0x4F | 0x78 => Ldid::Encoding(e::BIG5),
        0x50 | 0x7C => Ldid::Encoding(e::WINDOWS_874),
        0x7D => Ldid::Encoding(e::WINDOWS_1255),
        0x7E => Ldid::Encoding(e::WINDOWS_1256),
        0xC8 => Ldid::Encoding(e::WINDOWS_1250),
        0xC9 => Ldid::Encoding(e::WINDOWS_1251),
        0xCA => Ldid::Encoding(e::WINDOWS_1254),
        0xCB => Ldid::Encoding(e::WINDOWS_1253),
        0xCC => Ldid::Encoding(e::WINDOWS_1257),
        0x01 | 0x09 | 0x0B | 0x0D | 0x0F | 0x11 | 0x15 | 0x18 | 0x19 | 0x1B => {
            Ldid::Unsupported(437)
        }
        0x02 | 0x0A | 0x0E | 0x10 | 0x12 | 0x14 | 0x16 | 0x1A | 0x1D | 0x25 | 0x37 => {
            Ldid::Unsupported(850)
        }
        0x08 | 0x17 | 0x66 => Ldid::Unsupported(865),
        0x1F | 0x22 | 0x23 | 0x40 | 0x64 | 0x87 => Ldid::Unsupported(852),
        0x24 => Ldid::Unsupported(860),
        0x1C | 0x6C => Ldid::Unsupported(863),
        0x67 => Ldid::Unsupported(861),
        0x6A | 0x86 => Ldid::Unsupported(737),
        0x6B | 0x88 => Ldid::Unsupported(857),
        0x57 => Ldid::SystemAnsi,
        _ => Ldid::Unknown,
    }
}

/// Reads the label of a `.cpg` file (at most 1 KiB, trimmed, BOM removed).
fn read_cpg_label(path: &Path) -> Result<String, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(1024)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_string())
}

/// One field descriptor of a DBF header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DbfField {
    /// The raw name bytes (up to 11, stopped at the first NUL).
    pub name: Vec<u8>,
    /// The type letter (`C`, `N`, `F`, `L`, `D`, ...), as a byte.
    pub kind: u8,
    /// Byte offset of the field inside a record (the deletion flag is byte 0).
    pub offset: usize,
    /// Width in bytes.
    pub length: usize,
    /// Number of decimals (numeric fields).
    pub decimals: u8,
}

/// The parts of a DBF header the readers use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DbfHeader {
    /// Number of records the header declares.
    pub num_records: usize,
    /// Bytes before the first record.
    pub header_len: usize,
    /// Bytes per record, deletion flag included.
    pub record_len: usize,
    /// Language driver ID (byte 29).
    pub ldid: u8,
    /// Field descriptors in file order.
    pub fields: Vec<DbfField>,
    /// Size of the file in bytes.
    pub file_len: u64,
}

impl DbfHeader {
    /// Number of complete records present in the file (may be fewer than declared when the
    /// file is truncated).
    pub fn records_present(&self) -> usize {
        let data = self.file_len.saturating_sub(self.header_len as u64);
        let whole = data / (self.record_len.max(1) as u64);
        usize::try_from(whole).unwrap_or(usize::MAX)
    }
}

/// Reads and checks the header and field descriptors of a DBF file.
///
/// # Errors
/// [`ReadError::Open`] / [`ReadError::Io`] for file system errors, [`ReadError::Invalid`] when
/// the bytes are not a dBase III/IV/FoxPro table header.
pub(crate) fn read_dbf_header(path: &Path) -> Result<DbfHeader, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let file_len = file
        .metadata()
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let mut reader = BufReader::new(file);
    let io_err = |source: std::io::Error| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |message: String| ReadError::invalid(path, message);

    let mut head = [0u8; DBF_BLOCK];
    if let Err(e) = reader.read_exact(&mut head) {
        return Err(if e.kind() == ErrorKind::UnexpectedEof {
            invalid(format!(
                "too short to be a DBF table ({file_len} bytes; the header alone is 32)"
            ))
        } else {
            io_err(e)
        });
    }
    let version = head[0];
    if version & 0x07 == 0x04 {
        return Err(invalid(
            "dBase 7 tables are not supported (save it as dBase III/IV)".to_string(),
        ));
    }
    let num_records = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let header_len = usize::from(u16::from_le_bytes([head[8], head[9]]));
    let record_len = usize::from(u16::from_le_bytes([head[10], head[11]]));
    let ldid = head[29];
    if header_len < DBF_BLOCK + 1 {
        return Err(invalid(format!(
            "not a DBF table (header length {header_len} is too small)"
        )));
    }
    if record_len == 0 {
        return Err(invalid("not a DBF table (record length 0)".to_string()));
    }

    let mut fields = Vec::new();
    let mut consumed = DBF_BLOCK;
    let mut offset = 1usize;
    while consumed < header_len {
        let mut first = [0u8; 1];
        match reader.read_exact(&mut first) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                return Err(invalid(
                    "truncated: the field descriptors end before the header does".to_string(),
                ));
            }
            Err(e) => return Err(io_err(e)),
        }
        if first[0] == DESCRIPTOR_TERMINATOR || consumed + DBF_BLOCK > header_len {
            break;
        }
        let mut rest = [0u8; DBF_BLOCK - 1];
        match reader.read_exact(&mut rest) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                return Err(invalid(
                    "truncated: the field descriptors end before the header does".to_string(),
                ));
            }
            Err(e) => return Err(io_err(e)),
        }
        consumed += DBF_BLOCK;
        let mut raw_name = Vec::with_capacity(11);
        raw_name.push(first[0]);
        raw_name.extend_from_slice(&rest[..10]);
        let name: Vec<u8> = raw_name.split(|b| *b == 0).next().unwrap_or(&[]).to_vec();
        let length = usize::from(rest[15]);
        fields.push(DbfField {
            name,
            kind: rest[10],
            offset,
            length,
            decimals: rest[16],
        });
        offset += length;
    }
    if offset > record_len {
        return Err(invalid(format!(
            "not a valid DBF table: its fields take {offset} bytes but a record has {record_len}"
        )));
    }
    Ok(DbfHeader {
        num_records,
        header_len,
        record_len,
        ldid,
        fields,
        file_len,
    })
}

/// What the character data of a DBF looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// Only ASCII bytes.
    Ascii,
    /// Some non-ASCII bytes, all valid UTF-8.
    Utf8,
    /// Some bytes that are not valid UTF-8.
    NotUtf8,
}

/// The result of [`scan_content`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scan {
    verdict: Content,
    /// Non-ASCII characters seen in valid UTF-8 (the strength of the UTF-8 evidence).
    utf8_chars: usize,
}

/// Non-ASCII UTF-8 characters needed before the content overrules a declared non-UTF-8
/// encoding. A GBK character happens to form a valid UTF-8 sequence only a few percent of the
/// time, so four in a row with no invalid byte anywhere leave no reasonable doubt.
const UTF8_EVIDENCE: usize = 4;

/// Checks the field names and every character field of every record (stops at the first
/// byte sequence that is not UTF-8). A multi-byte character cut by the end of a field counts as
/// valid: fixed-width fields truncate UTF-8 text that way.
fn scan_content(path: &Path, header: &DbfHeader) -> Result<Scan, ReadError> {
    let mut scan = Scan {
        verdict: Content::Ascii,
        utf8_chars: 0,
    };
    let add = |bytes: &[u8], scan: &mut Scan| -> bool {
        match classify(bytes) {
            (Content::Ascii, _) => true,
            (Content::Utf8, chars) => {
                scan.verdict = Content::Utf8;
                scan.utf8_chars += chars;
                true
            }
            (Content::NotUtf8, _) => {
                scan.verdict = Content::NotUtf8;
                false
            }
        }
    };
    for field in &header.fields {
        if !add(trim_text(&field.name), &mut scan) {
            return Ok(scan);
        }
    }
    let text_fields: Vec<&DbfField> = header.fields.iter().filter(|f| f.kind == b'C').collect();
    if text_fields.is_empty() {
        return Ok(scan);
    }
    let file = File::open(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    reader
        .seek(SeekFrom::Start(header.header_len as u64))
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let mut record = vec![0u8; header.record_len];
    let count = header.num_records.min(header.records_present());
    for _ in 0..count {
        match reader.read_exact(&mut record) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(source) => {
                return Err(ReadError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        for field in &text_fields {
            let Some(bytes) = record.get(field.offset..field.offset + field.length) else {
                continue;
            };
            if !add(trim_text(bytes), &mut scan) {
                return Ok(scan);
            }
        }
    }
    Ok(scan)
}

/// Classifies one byte string and counts its non-ASCII UTF-8 characters. An incomplete
/// character at the very end is tolerated when valid non-ASCII UTF-8 precedes it; after plain
/// ASCII it proves nothing either way.
fn classify(bytes: &[u8]) -> (Content, usize) {
    if bytes.is_ascii() {
        return (Content::Ascii, 0);
    }
    let non_ascii = |s: &str| s.chars().filter(|c| !c.is_ascii()).count();
    match std::str::from_utf8(bytes) {
        Ok(s) => (Content::Utf8, non_ascii(s)),
        Err(e) if e.error_len().is_none() => {
            let valid = bytes
                .get(..e.valid_up_to())
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or("");
            match non_ascii(valid) {
                0 => (Content::Ascii, 0),
                n => (Content::Utf8, n),
            }
        }
        Err(_) => (Content::NotUtf8, 0),
    }
}

/// Trims the padding of a character field: spaces and NULs on both ends.
pub(crate) fn trim_text(bytes: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = bytes.iter().position(|b| !pad(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !pad(b)).map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or(&[])
}

/// How cleanly a byte string decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Every byte decoded.
    Clean,
    /// The last character was cut (1–3 incomplete bytes at the end were dropped).
    CutMidCharacter,
    /// Some bytes were not valid and were replaced by U+FFFD.
    Lossy,
}

/// Decodes `bytes` with `enc`. An incomplete character at the very end (a name or value cut by
/// the field width) is dropped rather than replaced; other invalid bytes become U+FFFD.
pub(crate) fn decode_text(bytes: &[u8], enc: &'static Encoding) -> (String, Decoded) {
    if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
        return (text.into_owned(), Decoded::Clean);
    }
    for cut in 1..=3usize {
        let Some(keep) = bytes.len().checked_sub(cut) else {
            break;
        };
        if keep == 0 {
            break;
        }
        let head = bytes.get(..keep).unwrap_or(&[]);
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(head) {
            return (text.into_owned(), Decoded::CutMidCharacter);
        }
    }
    let (text, _) = enc.decode_without_bom_handling(bytes);
    (text.into_owned(), Decoded::Lossy)
}

/// Formats bytes as `e5 9b be` for messages.
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
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
    fn labels_in_esri_and_whatwg_forms() {
        for label in [
            "936",
            "CP936",
            "ANSI 936",
            "gbk",
            "GB2312",
            " gb2312\n",
            "\u{feff}936",
        ] {
            assert_eq!(
                encoding_for_label(label),
                Some(encoding_rs::GBK),
                "{label:?}"
            );
        }
        for label in ["UTF-8", "utf8", "65001", "Utf-8\r\n"] {
            assert_eq!(
                encoding_for_label(label),
                Some(encoding_rs::UTF_8),
                "{label:?}"
            );
        }
        assert_eq!(encoding_for_label("GB18030"), Some(encoding_rs::GB18030));
        assert_eq!(encoding_for_label("88591"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(encoding_for_label("8859-2"), Some(encoding_rs::ISO_8859_2));
        assert_eq!(
            encoding_for_label("ANSI 1251"),
            Some(encoding_rs::WINDOWS_1251)
        );
        assert_eq!(encoding_for_label("1252"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(encoding_for_label("big5"), Some(encoding_rs::BIG5));
        assert_eq!(encoding_for_label("klingon"), None);
        assert_eq!(encoding_for_label(""), None);
        assert_eq!(encoding_for_label("utf-16"), None);
    }

    #[test]
    fn gbk_from_the_language_driver() {
        let (enc, how) =
            detect_dbf_encoding(&data("odd/gbk_no_cpg/面84.dbf"), None).expect("detect");
        assert_eq!(enc, encoding_rs::GBK);
        assert_eq!(how, "GBK (DBF language driver 0x4D)");
    }

    #[test]
    fn utf8_from_the_content() {
        let (enc, how) = detect_dbf_encoding(&data("odd/utf8_no_cpg/ningxia_district.dbf"), None)
            .expect("detect");
        assert_eq!(enc, encoding_rs::UTF_8);
        assert_eq!(
            how,
            "UTF-8 (content is valid UTF-8; no .cpg, language driver 0x00)"
        );
    }

    #[test]
    fn utf8_from_the_cpg_despite_cut_names() {
        let (enc, how) =
            detect_dbf_encoding(&data("odd/utf8_truncated_fieldnames/面albers.dbf"), None)
                .expect("detect");
        assert_eq!(enc, encoding_rs::UTF_8);
        assert_eq!(how, "UTF-8 (.cpg)");
    }

    #[test]
    fn override_wins_and_unknown_override_is_an_error() {
        let path = data("odd/utf8_no_cpg/ningxia_district.dbf");
        let (enc, how) = detect_dbf_encoding(&path, Some("GB18030")).expect("override");
        assert_eq!(enc, encoding_rs::GB18030);
        assert_eq!(how, "GB18030 (user override)");
        let err = detect_dbf_encoding(&path, Some("nonsense")).expect_err("unknown");
        assert!(matches!(err, ReadError::UnknownEncoding { .. }));
    }

    fn tiny_dbf(ldid: u8, value: &[u8]) -> Vec<u8> {
        let width = 20u8;
        let mut b = vec![0u8; 32];
        b[0] = 0x03;
        b[4] = 1; // one record
        let header_len: u16 = 32 + 32 + 1;
        b[8..10].copy_from_slice(&header_len.to_le_bytes());
        let record_len: u16 = 1 + u16::from(width);
        b[10..12].copy_from_slice(&record_len.to_le_bytes());
        b[29] = ldid;
        let mut d = [0u8; 32];
        d[..4].copy_from_slice(b"NAME");
        d[11] = b'C';
        d[16] = width;
        b.extend_from_slice(&d);
        b.push(0x0D);
        b.push(b' ');
        let mut v = value.to_vec();
        v.resize(usize::from(width), b' ');
        b.extend_from_slice(&v);
        b.push(0x1A);
        b
    }

    #[test]
    fn content_overrules_a_wrong_declaration() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A .cpg that says UTF-8 on GBK text.
        let gbk = encoding_rs::GBK.encode("湖北省").0.into_owned();
        let p = dir.path().join("a.dbf");
        std::fs::write(&p, tiny_dbf(0, &gbk)).expect("write");
        std::fs::write(dir.path().join("a.cpg"), "UTF-8").expect("write");
        let (enc, how) = detect_dbf_encoding(&p, None).expect("detect");
        assert_eq!(enc, encoding_rs::GB18030);
        assert!(how.starts_with("GBK (content is not valid UTF-8"), "{how}");

        // A GBK language driver on UTF-8 text.
        let p = dir.path().join("b.dbf");
        std::fs::write(&p, tiny_dbf(0x4D, "湖北省武汉市".as_bytes())).expect("write");
        let (enc, how) = detect_dbf_encoding(&p, None).expect("detect");
        assert_eq!(enc, encoding_rs::UTF_8);
        assert!(how.contains("language driver 0x4D says GBK"), "{how}");

        // ... but two characters are not enough evidence to overrule it.
        std::fs::write(&p, tiny_dbf(0x4D, "湖北".as_bytes())).expect("write");
        let (enc, how) = detect_dbf_encoding(&p, None).expect("detect");
        assert_eq!(
            (enc, how.as_str()),
            (encoding_rs::GBK, "GBK (DBF language driver 0x4D)")
        );

        // GBK text cut after ASCII is no evidence of UTF-8.
        assert_eq!(classify(b"abc\xd6"), (Content::Ascii, 0));
        assert_eq!(classify(&[0xe5, 0x9b, 0xbe, 0xe6]), (Content::Utf8, 1));

        // Plain ASCII, LDID 0x01 (code page 437, which encoding_rs lacks).
        let p = dir.path().join("c.dbf");
        std::fs::write(&p, tiny_dbf(0x01, b"Wuhan")).expect("write");
        let (enc, how) = detect_dbf_encoding(&p, None).expect("detect");
        assert_eq!(enc, encoding_rs::UTF_8);
        assert!(how.contains("code page 437"), "{how}");
    }

    #[test]
    fn header_errors_are_clear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("empty.dbf");
        std::fs::write(&p, b"").expect("write");
        let err = read_dbf_header(&p).expect_err("empty");
        assert!(err.to_string().contains("too short"), "{err}");
        let mut bytes = tiny_dbf(0, b"x");
        bytes.truncate(40);
        std::fs::write(&p, &bytes).expect("write");
        let err = read_dbf_header(&p).expect_err("truncated");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn decoding_drops_a_cut_character() {
        let bytes = [0xe5, 0x9b, 0xbe, 0xe6, 0x96, 0x91, 0xe7, 0xbc, 0x96, 0xe7];
        let (text, how) = decode_text(&bytes, encoding_rs::UTF_8);
        assert_eq!(text, "图斑编");
        assert_eq!(how, Decoded::CutMidCharacter);
        let (text, how) = decode_text("图斑".as_bytes(), encoding_rs::UTF_8);
        assert_eq!((text.as_str(), how), ("图斑", Decoded::Clean));
        let (_, how) = decode_text(&[0xff, b'a'], encoding_rs::UTF_8);
        assert_eq!(how, Decoded::Lossy);
        assert_eq!(trim_text(b"  ab \0\0"), b"ab");
        assert_eq!(trim_text(b"    "), b"");
        assert_eq!(hex_bytes(&[0xe5, 0x9b]), "e5 9b");
    }
}
