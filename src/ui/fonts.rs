//! The bundled CJK font (Droid Sans Fallback, Apache-2.0) and a symbol font (DejaVu Sans),
//! both under assets/fonts/, installed as fallbacks
//! behind egui's default fonts, so Chinese renders everywhere — also in egui_kittest, which
//! ignores system fonts.

use std::sync::Arc;

/// The font file, embedded.
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Symbols (▲ ▼ ✔ ✖ ⚠ …), DejaVu Sans, embedded.
pub const SYMBOL_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Adds the CJK font to both font families.
pub fn install(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "droid_cjk".to_owned(),
        Arc::new(egui::FontData::from_static(CJK_FONT)),
    );
    fonts.font_data.insert(
        "dejavu".to_owned(),
        Arc::new(egui::FontData::from_static(SYMBOL_FONT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        let list = fonts.families.entry(family).or_default();
        list.push("droid_cjk".to_owned());
        list.push("dejavu".to_owned());
    }
    ctx.set_fonts(fonts);
}
