//! Map colours: one palette per theme (legend order of [`crate::app::theme::Theme::classes`]),
//! chosen to read on a light background and for colour-blind users (no red/green-only pairs).

use egui::Color32;

use crate::app::theme::Theme;

/// Fill colour of a class.
pub fn class_color(theme: Theme, class: u8) -> Color32 {
    let palette: &[Color32] = match theme {
        // 未排查 grey, 排查中 amber, 已排查 blue
        Theme::SurveyStatus => &[
            Color32::from_rgb(189, 189, 189),
            Color32::from_rgb(253, 174, 97),
            Color32::from_rgb(44, 123, 182),
        ],
        // A green-blue, B light blue, C orange, D dark red, none grey
        Theme::AppraisalGrade => &[
            Color32::from_rgb(26, 152, 80),
            Color32::from_rgb(145, 191, 219),
            Color32::from_rgb(253, 141, 60),
            Color32::from_rgb(189, 0, 38),
            Color32::from_rgb(210, 210, 210),
        ],
        // commercial purple, mixed pink, residential tan, unknown grey
        Theme::UseClass => &[
            Color32::from_rgb(117, 107, 177),
            Color32::from_rgb(221, 52, 151),
            Color32::from_rgb(230, 205, 160),
            Color32::from_rgb(210, 210, 210),
        ],
        // severe dark red, hazardous orange, none blue, not judged grey
        Theme::Hazard => &[
            Color32::from_rgb(165, 0, 38),
            Color32::from_rgb(244, 109, 67),
            Color32::from_rgb(116, 173, 209),
            Color32::from_rgb(210, 210, 210),
        ],
    };
    palette
        .get(class as usize)
        .copied()
        .unwrap_or(Color32::GRAY)
}

/// Selection outline.
pub const SELECTION: Color32 = Color32::from_rgb(0, 229, 255);
/// Filter-result outline.
pub const FILTER_HIT: Color32 = Color32::from_rgb(255, 0, 200);
/// Village boundary.
pub const VILLAGE_LINE: Color32 = Color32::from_rgb(90, 90, 90);
/// Overlay boundary.
pub const OVERLAY_LINE: Color32 = Color32::from_rgb(200, 30, 30);
/// Map background.
pub const BACKGROUND: Color32 = Color32::from_rgb(244, 242, 236);

/// Mixes a colour with white (`t` = 0 keeps it, 1 gives white): parcels are drawn in a light
/// tint of their class so that the houses on them, in the full colour, stand out.
pub fn lighten(c: Color32, t: f32) -> Color32 {
    let mix = |v: u8| (f32::from(v) + (255.0 - f32::from(v)) * t.clamp(0.0, 1.0)).round() as u8;
    Color32::from_rgb(mix(c.r()), mix(c.g()), mix(c.b()))
}
