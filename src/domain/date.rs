//! Calendar dates of the survey (排查日期, 整治完成日期, 回头看日期), day precision, no time zone.

use std::fmt;

/// A calendar date. Text form `YYYY-MM-DD` (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SurveyDate(time::Date);

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a date (expected YYYY-MM-DD, YYYY/M/D, YYYYMMDD or YYYY年M月D日)")]
pub struct DateError(pub String);

impl SurveyDate {
    /// Builds a date from year, month (1–12) and day.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(SurveyDate)
    }
    /// Parses `2024-05-01`, `2024/5/1`, `2024.5.1`, `20240501`, `2024年5月1日`; a trailing time
    /// (`2024-05-01T08:00:00`, `2024-05-01 08:00`) is ignored.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let err = || DateError(text.to_string());
        let t = text.trim();
        let t = t.split(['T', ' ']).next().unwrap_or(t);
        let parts: Vec<&str> = if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            vec![&t[0..4], &t[4..6], &t[6..8]]
        } else {
            t.trim_end_matches('日')
                .split(['-', '/', '.', '年', '月'])
                .collect()
        };
        if parts.len() != 3 {
            return Err(err());
        }
        let y: i32 = parts[0].parse().map_err(|_| err())?;
        let m: u8 = parts[1].parse().map_err(|_| err())?;
        let d: u8 = parts[2].parse().map_err(|_| err())?;
        if !(1900..=2200).contains(&y) {
            return Err(err());
        }
        Self::from_ymd(y, m, d).ok_or_else(err)
    }
    /// The year.
    pub fn year(self) -> i32 {
        self.0.year()
    }
}

impl fmt::Display for SurveyDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        for t in [
            "2024-05-01",
            "2024/5/1",
            "20240501",
            "2024年5月1日",
            "2024-05-01T08:00:00",
            "2024.05.01",
        ] {
            assert_eq!(SurveyDate::parse(t).expect(t).to_string(), "2024-05-01");
        }
        assert!(SurveyDate::parse("2024-02-30").is_err());
        assert!(SurveyDate::parse("yesterday").is_err());
        assert!(SurveyDate::parse("").is_err());
    }
}
