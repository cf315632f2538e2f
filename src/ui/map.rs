//! The map canvas: pan (drag), zoom (wheel, +/-), thematic fills of parcels and houses,
//! village and overlay outlines, selection and filter highlights, hover tooltip, click picking
//! with a chooser when several features are under the cursor, Shift-click to add, Ctrl-drag to
//! select by box, cursor lon/lat and a scale bar.
//!
//! World coordinates are EPSG:4490 lon/lat (f64); the view is an equirectangular projection
//! scaled by cos(latitude of the view centre), exact enough at county scale. Only features whose
//! box meets the viewport are drawn (R-tree query); fills are tessellated once per feature with
//! earcutr and cached; all fills of a frame go into one mesh.

use std::time::Instant;

use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, Vec2};

use crate::app::session::{Command, Session};
use crate::domain::codes::Lang;
use crate::domain::edit::Target;
use crate::spatial::geometry::{Bbox, PolygonStore};
use crate::ui::colors;
use crate::ui::i18n::tr;
use crate::ui::map_layers::{LayerFrame, LayerKey, LodCache, add_outline, prepare_layers};

/// Metres per degree of latitude (mean).
const M_PER_DEG: f64 = 111_320.0;

/// Closest zoom: about 5 cm per screen point.
const MIN_DEG_PER_PT: f64 = 5e-7;

/// The view: centre (lon, lat in degrees) and scale (degrees of latitude per screen point).
/// Longitudes are scaled by `kx` = cos(latitude) of the last fitted extent, kept fixed while
/// panning and zooming so that zooming keeps the point under the cursor exactly in place.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapView {
    /// Centre longitude, latitude (degrees, EPSG:4490).
    pub center: [f64; 2],
    /// Degrees of latitude per screen point.
    pub deg_per_pt: f64,
    /// Horizontal scale factor cos(φ₀).
    #[serde(default = "default_kx")]
    pub kx: f64,
}

fn default_kx() -> f64 {
    22.57f64.to_radians().cos()
}

impl Default for MapView {
    fn default() -> Self {
        MapView {
            center: [113.9, 22.57],
            deg_per_pt: 1e-4,
            kx: default_kx(),
        }
    }
}

impl MapView {
    /// The horizontal scale factor in use: `kx` = cos(φ₀), kept within 0.05…1.
    pub fn kx_factor(&self) -> f64 {
        self.kx.clamp(0.05, 1.0)
    }

    /// Screen position of a world point.
    pub fn screen_from_world(&self, rect: Rect, lon: f64, lat: f64) -> Pos2 {
        let c = rect.center();
        Pos2::new(
            c.x + ((lon - self.center[0]) * self.kx_factor() / self.deg_per_pt) as f32,
            c.y - ((lat - self.center[1]) / self.deg_per_pt) as f32,
        )
    }

    /// World point (lon, lat) of a screen position.
    pub fn world_from_screen(&self, rect: Rect, pos: Pos2) -> [f64; 2] {
        let c = rect.center();
        [
            self.center[0] + f64::from(pos.x - c.x) * self.deg_per_pt / self.kx_factor(),
            self.center[1] - f64::from(pos.y - c.y) * self.deg_per_pt,
        ]
    }

    /// The world box seen in `rect`.
    pub fn visible_bbox(&self, rect: Rect) -> Bbox {
        let a = self.world_from_screen(rect, rect.left_top());
        let b = self.world_from_screen(rect, rect.right_bottom());
        Bbox {
            min_x: a[0].min(b[0]),
            min_y: a[1].min(b[1]),
            max_x: a[0].max(b[0]),
            max_y: a[1].max(b[1]),
        }
    }

    /// Fits a world box into `rect` with a small margin.
    pub fn fit(&mut self, b: &Bbox, rect: Rect) {
        if b.is_empty() || rect.width() < 1.0 || rect.height() < 1.0 {
            return;
        }
        self.center = [(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0];
        self.kx = self.center[1].to_radians().cos();
        let w = (b.max_x - b.min_x) * self.kx_factor();
        let h = b.max_y - b.min_y;
        let s = (w / f64::from(rect.width())).max(h / f64::from(rect.height())) * 1.05;
        self.deg_per_pt = s.max(MIN_DEG_PER_PT);
    }

    /// Zooms by `factor` (>1 zooms in) keeping the world point under `pos` fixed.
    pub fn zoom_at(&mut self, rect: Rect, pos: Pos2, factor: f64) {
        let before = self.world_from_screen(rect, pos);
        self.deg_per_pt = (self.deg_per_pt / factor).clamp(MIN_DEG_PER_PT, 1.0);
        let after = self.world_from_screen(rect, pos);
        self.center[0] += before[0] - after[0];
        self.center[1] += before[1] - after[1];
    }

    /// Ground metres per screen point.
    pub fn meters_per_pt(&self) -> f64 {
        self.deg_per_pt * M_PER_DEG
    }
}

/// Cached triangulations of one layer, by feature index. Indices refer to the feature's
/// vertices in [`PolygonStore::rings`] order.
#[derive(Debug, Default)]
pub struct TessCache {
    /// Only the features tessellated so far (a map: at a million features most never are).
    tris: std::collections::HashMap<u32, Box<[u32]>>,
    /// Features tessellated so far.
    pub computed: usize,
}

impl TessCache {
    /// The triangulation of feature `i`, computed on first use.
    pub fn get(&mut self, store: &PolygonStore, i: u32) -> &[u32] {
        let computed = &mut self.computed;
        self.tris.entry(i).or_insert_with(|| {
            *computed += 1;
            tessellate(store, i)
        })
    }
}

/// Triangulates every part of a feature (holes respected) with earcutr.
pub fn tessellate(store: &PolygonStore, i: u32) -> Box<[u32]> {
    let mut out = Vec::new();
    let b = store.bbox(i);
    let mut base = 0u32;
    for part in store.parts(i) {
        let mut flat: Vec<f64> = Vec::new();
        let mut holes: Vec<usize> = Vec::new();
        let mut count = 0usize;
        for (k, ring) in part.enumerate() {
            if k > 0 {
                holes.push(count);
            }
            for &[x, y] in ring {
                flat.push(x - b.min_x);
                flat.push(y - b.min_y);
            }
            count += ring.len();
        }
        if let Ok(idx) = earcutr::earcut(&flat, &holes, 2) {
            out.extend(idx.into_iter().map(|v| base + v as u32));
        }
        base += count as u32;
    }
    out.into_boxed_slice()
}

/// The dot raster of a prepared frame, uploaded as a texture, with the key it was made for.
pub struct RasterTexture {
    pub key: LayerKey,
    pub handle: egui::TextureHandle,
}

impl std::fmt::Debug for RasterTexture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RasterTexture")
            .field("key", &self.key)
            .field("texture", &self.handle.id())
            .finish()
    }
}

/// Persistent state of the map widget.
#[derive(Debug, Default)]
pub struct MapState {
    /// The view.
    pub view: MapView,
    /// Whether the view was fitted once.
    pub fitted: bool,
    /// Parcel fills.
    pub tess_parcels: TessCache,
    /// House fills.
    pub tess_buildings: TessCache,
    /// Features under the pointer at the last click, when more than one.
    pub chooser: Option<(Pos2, Vec<Target>)>,
    /// Start of a Ctrl-drag box selection.
    pub box_start: Option<Pos2>,
    /// Cursor position in lon/lat.
    pub cursor_lonlat: Option<[f64; 2]>,
    /// CPU time of the last frame's map preparation, ms.
    pub last_prepare_ms: f64,
    /// Features drawn in the last frame (parcels, houses).
    pub last_drawn: (usize, usize),
    /// Where the map was drawn in the last frame (screen points).
    pub last_rect: Option<Rect>,
    /// Show houses.
    pub show_buildings: bool,
    /// Show parcels.
    pub show_parcels: bool,
    /// Show village boundaries.
    pub show_villages: bool,
    /// Show overlays.
    pub show_overlays: bool,
    /// The data layers prepared for the last view (reused while nothing that decides them
    /// changes).
    pub layer_cache: Option<LayerFrame>,
    /// The dot raster of the last prepared frame on the GPU, with the key it was made for.
    pub raster_texture: Option<RasterTexture>,
    /// Features drawn as dots in the last frame (parcels, houses).
    pub last_dots: (usize, usize),
    /// Compact boxes and theme classes for level of detail.
    pub lod: LodCache,
    /// Whether the last frame prepared its layers anew (false: reused).
    pub last_fresh: bool,
}

impl MapState {
    /// A state with every layer shown.
    pub fn new() -> Self {
        MapState {
            show_buildings: true,
            show_parcels: true,
            show_villages: true,
            show_overlays: true,
            ..Default::default()
        }
    }
}

/// Everything under a world point: houses first (they are drawn on top), then parcels,
/// innermost first.
pub fn pick_all(session: &Session, x: f64, y: f64, map: &MapState) -> Vec<Target> {
    let p = &session.project;
    let d = p.data();
    let mut hits = Vec::new();
    if map.show_buildings {
        hits.extend(
            p.building_index()
                .pick(&d.building_geoms, x, y)
                .into_iter()
                .map(Target::Building),
        );
    }
    if map.show_parcels {
        hits.extend(
            p.parcel_index()
                .pick(&d.parcel_geoms, x, y)
                .into_iter()
                .map(Target::Parcel),
        );
    }
    hits
}

/// Short text for a feature (code and status).
pub fn feature_label(session: &Session, t: Target, lang: Lang) -> String {
    let s = &session.project.data().survey;
    match t {
        Target::Parcel(i) => s.parcels.get(i as usize).map_or_else(String::new, |p| {
            use crate::domain::codes::Coded;
            format!(
                "{} {} · {}",
                tr(lang, "图斑", "Parcel"),
                p.code,
                p.survey_status.label(lang)
            )
        }),
        Target::Building(i) => s.buildings.get(i as usize).map_or_else(String::new, |b| {
            use crate::domain::codes::Coded;
            let grade = b
                .appraisal_grade
                .map_or(String::new(), |g| format!(" · {}", g.label(lang)));
            let usage = b
                .use_class
                .map_or(String::new(), |u| format!(" · {}", u.label(lang)));
            format!("{} {}{usage}{grade}", tr(lang, "房屋", "House"), b.code)
        }),
    }
}

/// Shows the map and pushes the commands the user's clicks and keys request.
pub fn map_ui(
    ui: &mut egui::Ui,
    session: &Session,
    map: &mut MapState,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    map.last_rect = Some(rect);
    let started = Instant::now();
    if let Some(b) = session.zoom_request {
        map.view.fit(&b, rect);
        map.fitted = true;
        commands.push(Command::ClearZoomRequest);
    } else if !map.fitted {
        let b = session.project.data().parcel_geoms.extent();
        map.view.fit(&b, rect);
        map.fitted = true;
    }

    // --- input: pan, zoom, pick, box select
    let modifiers = ui.input(|i| i.modifiers);
    if response.drag_started() && modifiers.command {
        map.box_start = response.interact_pointer_pos();
    }
    if map.box_start.is_none() && response.dragged() {
        let d = response.drag_delta();
        let [cx, cy] = map.view.world_from_screen(rect, rect.center() - d);
        map.view.center = [cx, cy];
        map.chooser = None;
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0
            && let Some(pos) = response.hover_pos()
        {
            map.view
                .zoom_at(rect, pos, (f64::from(scroll) / 200.0).exp());
        }
    }
    if !ui.ctx().egui_wants_keyboard_input() {
        let (zin, zout) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals),
                i.key_pressed(egui::Key::Minus),
            )
        });
        if zin {
            map.view.zoom_at(rect, rect.center(), 1.5);
        }
        if zout {
            map.view.zoom_at(rect, rect.center(), 1.0 / 1.5);
        }
    }
    map.cursor_lonlat = response
        .hover_pos()
        .map(|p| map.view.world_from_screen(rect, p));
    if let Some(start) = map.box_start {
        if let Some(now) = response.interact_pointer_pos() {
            ui.painter_at(rect).rect_stroke(
                Rect::from_two_pos(start, now),
                0.0,
                Stroke::new(1.5, colors::SELECTION),
                egui::StrokeKind::Middle,
            );
        }
        if response.drag_stopped() {
            if let Some(end) = response.interact_pointer_pos() {
                let a = map.view.world_from_screen(rect, start);
                let b = map.view.world_from_screen(rect, end);
                let q = Bbox {
                    min_x: a[0].min(b[0]),
                    min_y: a[1].min(b[1]),
                    max_x: a[0].max(b[0]),
                    max_y: a[1].max(b[1]),
                };
                let d = session.project.data();
                let mut targets: Vec<Target> = Vec::new();
                let inside = |bb: Bbox| {
                    bb.min_x >= q.min_x
                        && bb.max_x <= q.max_x
                        && bb.min_y >= q.min_y
                        && bb.max_y <= q.max_y
                };
                if map.show_parcels {
                    targets.extend(
                        session
                            .project
                            .parcel_index()
                            .query_box(&q)
                            .into_iter()
                            .filter(|&i| inside(d.parcel_geoms.bbox(i)))
                            .map(Target::Parcel),
                    );
                }
                commands.push(Command::Select {
                    targets,
                    add: modifiers.shift,
                });
            }
            map.box_start = None;
        }
    }
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        let [x, y] = map.view.world_from_screen(rect, pos);
        let hits = pick_all(session, x, y, map);
        match hits.first() {
            Some(first) => {
                commands.push(Command::Select {
                    targets: vec![*first],
                    add: modifiers.shift,
                });
                map.chooser = (hits.len() > 1).then(|| (pos, hits.clone()));
            }
            None => {
                map.chooser = None;
                if !modifiers.shift {
                    commands.push(Command::ClearSelection);
                }
            }
        }
    }

    // --- drawing: the data layers come prepared (and cached) from map_layers
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, colors::BACKGROUND);
    let d = session.project.data();
    let vis = map.view.visible_bbox(rect);
    let frame = prepare_layers(session, map, rect);
    if let Some(image) = &frame.raster {
        let texture = match &mut map.raster_texture {
            Some(t) if t.key == frame.key => t.handle.clone(),
            Some(t) => {
                t.handle.set(
                    egui::ImageData::Color(image.clone()),
                    egui::TextureOptions::NEAREST,
                );
                t.key = frame.key;
                t.handle.clone()
            }
            slot @ None => {
                let handle = ui.ctx().load_texture(
                    "map-dots",
                    egui::ImageData::Color(image.clone()),
                    egui::TextureOptions::NEAREST,
                );
                *slot = Some(RasterTexture {
                    key: frame.key,
                    handle: handle.clone(),
                });
                handle
            }
        };
        let size = Vec2::new(image.size[0] as f32, image.size[1] as f32);
        painter.image(
            texture.id(),
            Rect::from_min_size(rect.min, size),
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
    }
    painter.add(Shape::Mesh(frame.fills.clone()));
    painter.extend(frame.outlines.iter().cloned());
    if map.show_overlays {
        let mut ov = Vec::new();
        for o in &d.overlays {
            for poly in &o.geometry.0 {
                let pts: Vec<Pos2> = poly
                    .exterior()
                    .0
                    .iter()
                    .map(|c| map.view.screen_from_world(rect, c.x, c.y))
                    .collect();
                ov.push(Shape::dashed_line(
                    &pts,
                    Stroke::new(2.0, colors::OVERLAY_LINE),
                    8.0,
                    5.0,
                ));
            }
        }
        for v in ov {
            painter.extend(v);
        }
    }
    // filter results, then selection on top
    let mut hl = Vec::new();
    if session.filter.is_some() && session.filter_results.len() <= 20_000 {
        let store = match session.filter_layer {
            crate::app::export::ExportLayer::Parcels => &d.parcel_geoms,
            crate::app::export::ExportLayer::Buildings => &d.building_geoms,
        };
        for &i in &session.filter_results {
            let b = store.bbox(i);
            if b.max_x < vis.min_x
                || b.min_x > vis.max_x
                || b.max_y < vis.min_y
                || b.min_y > vis.max_y
            {
                continue;
            }
            add_outline(
                &mut hl,
                store,
                i,
                &map.view,
                rect,
                Stroke::new(2.0, colors::FILTER_HIT),
            );
        }
    }
    for t in &session.selection {
        let (store, i) = match *t {
            Target::Parcel(i) => (&d.parcel_geoms, i),
            Target::Building(i) => (&d.building_geoms, i),
        };
        add_outline(
            &mut hl,
            store,
            i,
            &map.view,
            rect,
            Stroke::new(3.0, colors::SELECTION),
        );
    }
    painter.extend(hl);
    map.last_drawn = frame.drawn;
    map.last_dots = frame.dots;
    map.last_fresh = frame.fresh;
    map.last_prepare_ms = started.elapsed().as_secs_f64() * 1000.0;

    scale_bar(&painter, rect, &map.view);

    // hover tooltip
    if map.box_start.is_none()
        && !response.dragged()
        && let Some(pos) = response.hover_pos()
    {
        let [x, y] = map.view.world_from_screen(rect, pos);
        let hits = pick_all(session, x, y, map);
        if let Some(first) = hits.first() {
            let text = feature_label(session, *first, lang);
            response.clone().on_hover_text_at_pointer(text);
        }
    }

    // chooser when several features were under the click
    if let Some((pos, hits)) = map.chooser.clone() {
        let mut close = false;
        egui::Area::new(egui::Id::unique("pick_chooser"))
            .fixed_pos(pos + Vec2::new(12.0, 12.0))
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(tr(lang, "此处有多个要素：", "Several features here:"))
                            .strong(),
                    );
                    for t in &hits {
                        let selected = session.selection.contains(t);
                        if ui
                            .selectable_label(selected, feature_label(session, *t, lang))
                            .clicked()
                        {
                            commands.push(Command::Select {
                                targets: vec![*t],
                                add: false,
                            });
                            close = true;
                        }
                    }
                });
            });
        if close {
            map.chooser = None;
        }
    }
}

fn scale_bar(painter: &egui::Painter, rect: Rect, view: &MapView) {
    let target_pt = 120.0;
    let m = view.meters_per_pt() * target_pt;
    if !m.is_finite() || m <= 0.0 {
        return;
    }
    let pow = 10f64.powf(m.log10().floor());
    let nice = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * pow)
        .rfind(|v| *v <= m)
        .unwrap_or(pow);
    let len_pt = (nice / view.meters_per_pt()) as f32;
    let y = rect.bottom() - 18.0;
    let x0 = rect.left() + 16.0;
    let stroke = Stroke::new(2.0, Color32::from_gray(30));
    painter.line_segment([Pos2::new(x0, y), Pos2::new(x0 + len_pt, y)], stroke);
    painter.line_segment([Pos2::new(x0, y - 5.0), Pos2::new(x0, y + 1.0)], stroke);
    painter.line_segment(
        [
            Pos2::new(x0 + len_pt, y - 5.0),
            Pos2::new(x0 + len_pt, y + 1.0),
        ],
        stroke,
    );
    let label = if nice >= 1000.0 {
        format!("{} km", nice / 1000.0)
    } else {
        format!("{nice} m")
    };
    painter.text(
        Pos2::new(x0 + len_pt / 2.0, y - 4.0),
        egui::Align2::CENTER_BOTTOM,
        label,
        egui::FontId::proportional(12.0),
        Color32::from_gray(30),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_round_trips_and_fits() {
        let rect = Rect::from_min_size(Pos2::ZERO, Vec2::new(800.0, 600.0));
        let mut v = MapView::default();
        let b = Bbox {
            min_x: 105.0,
            min_y: 36.0,
            max_x: 106.5,
            max_y: 37.5,
        };
        v.fit(&b, rect);
        let p = v.screen_from_world(rect, 105.2, 36.3);
        let w = v.world_from_screen(rect, p);
        assert!((w[0] - 105.2).abs() < 1e-4 && (w[1] - 36.3).abs() < 1e-4);
        let vis = v.visible_bbox(rect);
        assert!(vis.min_x <= 105.0 && vis.max_x >= 106.5 && vis.min_y <= 36.0 && vis.max_y >= 37.5);
        let before = v.world_from_screen(rect, Pos2::new(100.0, 100.0));
        v.zoom_at(rect, Pos2::new(100.0, 100.0), 2.0);
        let after = v.world_from_screen(rect, Pos2::new(100.0, 100.0));
        assert!((before[0] - after[0]).abs() < 1e-9 && (before[1] - after[1]).abs() < 1e-9);
    }

    #[test]
    fn tessellation_respects_holes() {
        use geo_types::{MultiPolygon, polygon};
        let mut s = PolygonStore::new();
        s.push(&MultiPolygon(vec![polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 6.0, y: 4.0), (x: 6.0, y: 6.0), (x: 4.0, y: 6.0)]],
        ]]));
        let t = tessellate(&s, 0);
        assert_eq!(t.len() % 3, 0);
        // area of the triangles = 100 - 4
        let pts: Vec<[f64; 2]> = s.rings(0).flatten().copied().collect();
        let area: f64 = t
            .chunks_exact(3)
            .map(|c| {
                let [a, b, d] = [pts[c[0] as usize], pts[c[1] as usize], pts[c[2] as usize]];
                ((b[0] - a[0]) * (d[1] - a[1]) - (d[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum();
        assert!((area - 96.0).abs() < 1e-9, "{area}");
    }
}
