//! Personal data (个人信息) in imported attributes: owner ID numbers (居民身份证号码,
//! GB 11643-1999) and phone numbers (手机/电话). Exports mask them unless the user asks for
//! them (`--include-personal-data`): an ID keeps its first 6 digits (the region) and last 4,
//! a phone number its first 3 and last 4.

/// Attribute names that hold personal data (case-insensitive, substring match).
const PERSONAL_NAME_PARTS: [&str; 14] = [
    "身份证",
    "证件号",
    "证件号码",
    "sfz",
    "idcard",
    "id_card",
    "id_no",
    "电话",
    "手机",
    "联系方式",
    "phone",
    "tel",
    "mobile",
    "lxdh",
];

/// True when an attribute name suggests personal data.
pub fn is_personal_name(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    PERSONAL_NAME_PARTS.iter().any(|p| n.contains(p))
}

/// True for an 18-character resident ID number with a valid ISO 7064 MOD 11-2 check digit.
pub fn is_id_number(text: &str) -> bool {
    let t: Vec<char> = text.trim().chars().collect();
    if t.len() != 18 || !t[..17].iter().all(char::is_ascii_digit) {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = t[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    t[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
}

/// True for a mainland mobile number (11 digits starting 13–19), optionally with +86/86.
pub fn is_mobile_number(text: &str) -> bool {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let d = digits.trim_start_matches("+86").trim_start_matches("86");
    d.len() == 11
        && d.starts_with('1')
        && d.as_bytes()
            .get(1)
            .is_some_and(|b| (b'3'..=b'9').contains(b))
        && d.chars().all(|c| c.is_ascii_digit())
}

fn mask_keep(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.trim().chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// The masked form of a value of attribute `name`, or `None` when it needs no masking.
/// Values that look like ID or mobile numbers are masked whatever the attribute is called.
pub fn mask(name: &str, text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    if is_id_number(text) {
        return Some(mask_keep(text, 6, 4));
    }
    if is_mobile_number(text) {
        return Some(mask_keep(text, 3, 4));
    }
    if is_personal_name(name) {
        let n = text.trim().chars().count();
        return Some(if n > 4 {
            mask_keep(text, 2, 2)
        } else {
            "*".repeat(n)
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_phones_are_masked() {
        // a valid check digit (the GB 11643 example)
        assert!(is_id_number("11010519491231002X"));
        assert!(!is_id_number("110105194912310021"));
        assert_eq!(
            mask("户主身份证号", "11010519491231002X").as_deref(),
            Some("110105********002X")
        );
        assert_eq!(
            mask("备注", "11010519491231002X").as_deref(),
            Some("110105********002X")
        );
        assert_eq!(
            mask("联系电话", "13812345678").as_deref(),
            Some("138****5678")
        );
        assert_eq!(
            mask("x", "+86 138-1234-5678").as_deref(),
            Some("+86**********5678")
        );
        assert_eq!(
            mask("PHONE", "0951-1234567").as_deref(),
            Some("09********67")
        );
        assert_eq!(mask("用途", "经营性自建房"), None);
        assert_eq!(
            mask("层数", "12345678901"),
            None,
            "11 digits not starting 13–19"
        );
        assert!(
            is_personal_name("SFZH") && is_personal_name("户主电话") && !is_personal_name("面积")
        );
    }
}
