//! Administrative hierarchy (行政区划) from the 12-digit statistical division code
//! (统计用区划代码, NBS): province(2) city(2) county(2) township(3) village(3).
//! A village (村/社区) is a 12-digit code plus a name; townships (乡镇/街道, 9 digits) and
//! counties (区县, 6 digits) are its prefixes.

use std::fmt;

/// Dense index of a village inside a project. Index 0 is always the "unassigned" pseudo-village
/// that collects parcels and buildings that fall in no village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct VillageId(pub u32);

impl VillageId {
    /// The pseudo-village of features in no village (未分配).
    pub const UNASSIGNED: VillageId = VillageId(0);
    /// As a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Level of the administrative hierarchy used in statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdminLevel {
    /// 村/社区 (12 digits)
    Village,
    /// 乡镇/街道 (9 digits)
    Township,
    /// 区县 (6 digits)
    County,
    /// 合计: the whole project
    Total,
}

impl AdminLevel {
    /// Stable code used on the CLI and in CSV output.
    pub fn code(self) -> &'static str {
        match self {
            AdminLevel::Village => "village",
            AdminLevel::Township => "township",
            AdminLevel::County => "county",
            AdminLevel::Total => "total",
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            AdminLevel::Village => "村/社区",
            AdminLevel::Township => "乡镇/街道",
            AdminLevel::County => "区县",
            AdminLevel::Total => "合计",
        }
    }
    /// Number of code digits at this level (0 for the total).
    pub fn digits(self) -> usize {
        match self {
            AdminLevel::Village => 12,
            AdminLevel::Township => 9,
            AdminLevel::County => 6,
            AdminLevel::Total => 0,
        }
    }
    /// Parses `village|township|county|total` (also the Chinese labels 村, 乡镇, 区县, 合计).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "village" | "村" | "村/社区" => Some(AdminLevel::Village),
            "township" | "乡镇" | "乡镇/街道" | "街道" => Some(AdminLevel::Township),
            "county" | "区县" | "县" => Some(AdminLevel::County),
            "total" | "合计" | "all" => Some(AdminLevel::Total),
            _ => None,
        }
    }
}

/// A division code (6, 9 or 12 ASCII digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DivisionCode(String);

/// Why a text is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a 6-, 9- or 12-digit statistical division code (统计用区划代码)")]
pub struct DivisionCodeError(pub String);

impl DivisionCode {
    /// Parses a code of 6, 9 or 12 digits. Accepts the 15-digit form with the `156` country
    /// prefix used by some boundary files (`156640324` → `640324`) and numbers written as floats
    /// by spreadsheets (`640324100001.0`).
    pub fn parse(text: &str) -> Result<Self, DivisionCodeError> {
        let mut t = text.trim();
        if let Some(stripped) = t.strip_suffix(".0") {
            t = stripped;
        }
        let t = if t.len() == 9 && t.starts_with("156") && !t.starts_with("1560") {
            &t[3..]
        } else {
            t
        };
        if matches!(t.len(), 6 | 9 | 12) && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(DivisionCode(t.to_string()))
        } else {
            Err(DivisionCodeError(text.to_string()))
        }
    }
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The level implied by the number of digits.
    pub fn level(&self) -> AdminLevel {
        match self.0.len() {
            12 => AdminLevel::Village,
            9 => AdminLevel::Township,
            _ => AdminLevel::County,
        }
    }
    /// The prefix at a coarser level (`None` when the level is finer than this code).
    pub fn prefix(&self, level: AdminLevel) -> Option<&str> {
        let n = level.digits();
        (n <= self.0.len()).then(|| &self.0[..n])
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A village (村/社区) of the project with the names of its township and county when known.
#[derive(Debug, Clone, PartialEq)]
pub struct Village {
    /// 12-digit village code; empty for the unassigned pseudo-village.
    pub code: String,
    /// Official name (村委会/社区居委会 ...), empty when unknown.
    pub name: String,
    /// 乡镇/街道 name, empty when unknown.
    pub township_name: String,
    /// 区县 name, empty when unknown.
    pub county_name: String,
}

impl Village {
    /// The unassigned pseudo-village (未分配).
    pub fn unassigned() -> Self {
        Village {
            code: String::new(),
            name: "未分配".into(),
            township_name: String::new(),
            county_name: String::new(),
        }
    }
    /// Code prefix at `level` ("" for the unassigned village and for [`AdminLevel::Total`]).
    pub fn code_at(&self, level: AdminLevel) -> &str {
        let n = level.digits();
        if self.code.len() >= n {
            &self.code[..n]
        } else {
            ""
        }
    }
}

/// Strips the usual suffixes from a village name so that 南关村委会, 南关村民委员会 and 南关村
/// compare equal: 村民委员会, 居民委员会, 社区居委会, 村委会, 居委会, 嘎查, 社区, 村.
pub fn normalize_village_name(name: &str) -> &str {
    const SUFFIXES: [&str; 9] = [
        "村民委员会",
        "居民委员会",
        "社区居委会",
        "村委会",
        "居委会",
        "嘎查委员会",
        "嘎查",
        "社区",
        "村",
    ];
    let mut n = name.trim();
    loop {
        let before = n;
        for s in SUFFIXES {
            if let Some(stripped) = n.strip_suffix(s)
                && !stripped.is_empty()
            {
                n = stripped;
                break;
            }
        }
        if n == before {
            return n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_codes() {
        let c = DivisionCode::parse("640324100001").expect("code");
        assert_eq!(c.level(), AdminLevel::Village);
        assert_eq!(c.prefix(AdminLevel::Township), Some("640324100"));
        assert_eq!(c.prefix(AdminLevel::County), Some("640324"));
        assert_eq!(
            DivisionCode::parse("156640324").expect("gb").as_str(),
            "640324"
        );
        assert_eq!(
            DivisionCode::parse("640324100001.0")
                .expect("float")
                .as_str(),
            "640324100001"
        );
        assert!(DivisionCode::parse("64032410000").is_err());
        assert!(DivisionCode::parse("abcdef").is_err());
    }

    #[test]
    fn village_name_suffixes() {
        assert_eq!(normalize_village_name("南关村委会"), "南关");
        assert_eq!(normalize_village_name("富兴社区居委会"), "富兴");
        assert_eq!(normalize_village_name("西街社区居民委员会"), "西街");
        assert_eq!(normalize_village_name("村"), "村");
    }
}
