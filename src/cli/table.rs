//! Plain-text tables for the terminal, aligned by display width (CJK characters are two
//! columns wide).

use unicode_width::UnicodeWidthStr;

/// Renders rows as a table with a header; numbers (cells starting with a digit or '-') are
/// right-aligned.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.width());
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        let mut parts = Vec::new();
        for (i, c) in cells.enumerate() {
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(c.width());
            let numeric = c.starts_with(|ch: char| ch.is_ascii_digit()) || c == "—";
            if numeric && i > 2 {
                parts.push(format!("{}{c}", " ".repeat(pad)));
            } else {
                parts.push(format!("{c}{}", " ".repeat(pad)));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied(), &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for r in rows {
        line(&mut r.iter().map(String::as_str), &mut out);
    }
    out
}
