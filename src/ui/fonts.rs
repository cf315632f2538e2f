//! The bundled CJK font (Droid Sans Fallback, Apache-2.0, assets/fonts/) installed as a fallback
//! behind egui's default fonts, so Chinese renders everywhere — also in egui_kittest, which
//! ignores system fonts.

use std::sync::Arc;

/// The font file, embedded.
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Adds the CJK font to both font families.
pub fn install(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert("droid_cjk".to_owned(), Arc::new(egui::FontData::from_static(CJK_FONT)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("droid_cjk".to_owned());
    }
    ctx.set_fonts(fonts);
}
