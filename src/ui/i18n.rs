//! Chinese-first UI text with an English switch. Every label is written as a (Chinese, English)
//! pair at its use site: `tr(lang, "图斑", "Parcels")`.

use crate::domain::codes::Lang;

/// The text for the current language.
pub fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}
