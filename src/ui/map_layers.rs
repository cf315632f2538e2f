//! Frame preparation of the map's data layers (village outlines, parcels, houses), headless:
//! the map widget paints what [`prepare_layers`] returns and `fangcha bench` times it.
//!
//! Level of detail, so that 1,000,000 parcels + 1,000,000 houses stay interactive:
//! - features smaller than [`DOT_BELOW_PT`] on screen are not tessellated but written as 2×2
//!   dots into a raster of the map rect (one texture, one quad), in their theme colour;
//!   houses smaller than [`HOUSE_HIDDEN_BELOW_PT`] are left out (their parcel carries the theme);
//! - larger features are filled from triangulations cached per feature (earcutr) into one mesh,
//!   and outlined once they are big enough to read;
//! - candidates come from the R-tree when the view shows a small part of a layer, and from a
//!   straight pass over the flat bounding boxes when it shows much of it (the pass costs about
//!   a nanosecond per feature; an R-tree query returning most of a million entries costs more);
//! - the prepared layers are kept while the view, the map size, the theme, the layer switches and
//!   the data revision stay the same, so a frame that only moves the pointer prepares nothing.

use std::sync::Arc;

use egui::{Color32, ColorImage, Mesh, Pos2, Rect, Shape, Stroke};
use rayon::prelude::*;

use crate::app::session::Session;
use crate::app::theme::Theme;
use crate::spatial::geometry::{Bbox, PolygonStore};
use crate::spatial::index::FeatureIndex;
use crate::ui::colors;
use crate::ui::map::{MapState, MapView};

/// Features smaller than this on screen (points) are drawn as dots in the raster.
pub const DOT_BELOW_PT: f32 = 2.0;
/// Houses smaller than this on screen (points) are not drawn.
pub const HOUSE_HIDDEN_BELOW_PT: f32 = 3.0;
/// Above this share of a layer's extent in view, candidates come from a pass over all boxes.
const SCAN_ABOVE_SHARE: f64 = 0.15;

/// What decides the prepared layers: equal keys give equal frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerKey {
    pub rect: Rect,
    pub view: MapView,
    pub theme: Theme,
    pub revision: u64,
    /// Villages, parcels, houses shown.
    pub shown: [bool; 3],
}

/// The prepared data layers of one view, in paint order: raster, fills, outlines.
#[derive(Debug, Clone)]
pub struct LayerFrame {
    pub key: LayerKey,
    /// Dots of sub-pixel features, one pixel per screen point over `key.rect` (`None` when
    /// no feature is that small).
    pub raster: Option<Arc<ColorImage>>,
    /// Fills of the features drawn as polygons.
    pub fills: Arc<Mesh>,
    /// Village, parcel and house outlines.
    pub outlines: Arc<Vec<Shape>>,
    /// Features drawn as polygons (parcels, houses).
    pub drawn: (usize, usize),
    /// Features drawn as dots (parcels, houses).
    pub dots: (usize, usize),
    /// Whether this frame was prepared now (false: taken from the cache).
    pub fresh: bool,
}

/// Largest extent of a feature on screen, in points.
pub fn screen_size(view: &MapView, b: &Bbox) -> f32 {
    (((b.max_x - b.min_x) * view.kx_factor()).max(b.max_y - b.min_y) / view.deg_per_pt) as f32
}

fn meets(a: &Bbox, b: &Bbox) -> bool {
    a.max_x >= b.min_x && a.min_x <= b.max_x && a.max_y >= b.min_y && a.min_y <= b.max_y
}

/// The features of a layer whose box meets `vis`: an R-tree query for a small share of the
/// layer, a pass over the boxes for a large one (see the module docs).
fn candidates(index: &FeatureIndex, store: &PolygonStore, vis: Bbox) -> Vec<u32> {
    let extent = index.extent();
    let share = if extent.is_empty() {
        0.0
    } else {
        let w = (vis.max_x.min(extent.max_x) - vis.min_x.max(extent.min_x)).max(0.0);
        let h = (vis.max_y.min(extent.max_y) - vis.min_y.max(extent.min_y)).max(0.0);
        let area = (extent.max_x - extent.min_x) * (extent.max_y - extent.min_y);
        if area > 0.0 { w * h / area } else { 1.0 }
    };
    if share > SCAN_ABOVE_SHARE {
        let all = store.bboxes();
        if vis.min_x <= extent.min_x
            && vis.min_y <= extent.min_y
            && vis.max_x >= extent.max_x
            && vis.max_y >= extent.max_y
        {
            return (0..all.len() as u32).collect();
        }
        all.par_iter()
            .enumerate()
            .filter(|(_, b)| meets(b, &vis))
            .map(|(i, _)| i as u32)
            .collect()
    } else {
        index.query_box(&vis)
    }
}

/// A raster of dots over the map rect, one pixel per screen point.
struct DotRaster {
    width: usize,
    height: usize,
    pixels: Vec<Color32>,
    used: bool,
}

impl DotRaster {
    fn new(rect: Rect) -> Self {
        DotRaster {
            width: rect.width().ceil().max(1.0) as usize,
            height: rect.height().ceil().max(1.0) as usize,
            pixels: Vec::new(),
            used: false,
        }
    }

    /// The pixel of a position relative to the rect's top left, when inside.
    fn pixel_of(width: usize, height: usize, x: f32, y: f32) -> Option<u32> {
        let (x, y) = (x.floor(), y.floor());
        (x >= 0.0 && y >= 0.0 && (x as usize) < width && (y as usize) < height)
            .then(|| (y as usize * width + x as usize) as u32)
    }

    /// A 2×2 dot whose top-left pixel is `pixel`.
    fn dot(&mut self, pixel: u32, color: Color32) {
        if !self.used {
            self.pixels = vec![Color32::TRANSPARENT; self.width * self.height];
            self.used = true;
        }
        let (x, y) = (pixel as usize % self.width, pixel as usize / self.width);
        let right = x + 1 < self.width;
        let below = y + 1 < self.height;
        let at = pixel as usize;
        self.pixels[at] = color;
        if right {
            self.pixels[at + 1] = color;
        }
        if below {
            self.pixels[at + self.width] = color;
            if right {
                self.pixels[at + self.width + 1] = color;
            }
        }
    }

    fn finish(self) -> Option<Arc<ColorImage>> {
        self.used
            .then(|| Arc::new(ColorImage::new([self.width, self.height], self.pixels)))
    }
}

/// The boxes of one layer in compact form for level of detail: centre and size of each
/// feature as f32 degrees relative to the layer's south-west corner (16 bytes a feature
/// instead of the 32 of an f64 box; precise to about 1e-6°, 0.1 m, at prefecture extents).
#[derive(Debug, Default)]
pub struct LodLayer {
    /// Which store this was made from (its box array's address and length).
    source: (usize, usize),
    origin: [f64; 2],
    /// Centre x, centre y, width, height.
    boxes: Vec<[f32; 4]>,
    /// Largest width and height of a feature, degrees.
    max_size: [f64; 2],
}

impl LodLayer {
    fn of(store: &PolygonStore) -> LodLayer {
        let source = (store.bboxes().as_ptr() as usize, store.len());
        let extent = store.extent();
        let origin = if extent.is_empty() {
            [0.0, 0.0]
        } else {
            [extent.min_x, extent.min_y]
        };
        let mut max_size = [0.0f64, 0.0f64];
        let boxes = store
            .bboxes()
            .iter()
            .map(|b| {
                if b.is_empty() {
                    return [f32::NAN; 4];
                }
                let (w, h) = (b.max_x - b.min_x, b.max_y - b.min_y);
                max_size = [max_size[0].max(w), max_size[1].max(h)];
                [
                    ((b.min_x + b.max_x) / 2.0 - origin[0]) as f32,
                    ((b.min_y + b.max_y) / 2.0 - origin[1]) as f32,
                    w as f32,
                    h as f32,
                ]
            })
            .collect();
        LodLayer {
            source,
            origin,
            boxes,
            max_size,
        }
    }

    fn matches(&self, store: &PolygonStore) -> bool {
        self.source == (store.bboxes().as_ptr() as usize, store.len())
    }
}

/// The theme class of every parcel and house, for one theme and data revision.
#[derive(Debug, Default)]
pub struct ClassCache {
    key: Option<(Theme, u64, usize)>,
    parcels: Vec<u8>,
    buildings: Vec<u8>,
}

impl ClassCache {
    fn refresh(&mut self, session: &Session, theme: Theme) {
        let s = &session.project.data().survey;
        let key = (theme, session.revision, s.parcels.len() + s.buildings.len());
        if self.key == Some(key) {
            return;
        }
        self.parcels = s
            .parcels
            .iter()
            .enumerate()
            .map(|(i, p)| theme.parcel_class(s, i as u32, p))
            .collect();
        self.buildings = s
            .buildings
            .iter()
            .map(|b| match theme {
                Theme::SurveyStatus => b
                    .parcel
                    .and_then(|p| self.parcels.get(p as usize).copied())
                    .unwrap_or(0),
                t => t.building_class(b),
            })
            .collect();
        self.key = Some(key);
    }
}

/// The level-of-detail caches of the map (kept in [`MapState`]).
#[derive(Debug, Default)]
pub struct LodCache {
    parcels: LodLayer,
    buildings: LodLayer,
    classes: ClassCache,
}

/// What one feature becomes in a frame.
enum Drawn {
    /// Feature `.0` as a dot at pixel `.1` of the raster.
    Dot(u32, u32),
    /// A polygon of this size on screen (points).
    Polygon(u32, f32),
}

/// Sorts the candidate features of a layer into dots and polygons, in parallel chunks; houses
/// (`dots` false) below [`HOUSE_HIDDEN_BELOW_PT`] are dropped instead of dotted.
fn classify(
    lod: &LodLayer,
    candidates: &[u32],
    view: &MapView,
    rect: Rect,
    width: usize,
    height: usize,
    dots: bool,
) -> Vec<Drawn> {
    let kx = view.kx_factor();
    let per_pt = view.deg_per_pt;
    let centre = rect.center();
    // Screen position of a layer-relative point: offset of the layer origin, then scale.
    let ox = centre.x - rect.min.x + ((lod.origin[0] - view.center[0]) * kx / per_pt) as f32;
    let oy = centre.y - rect.min.y - ((lod.origin[1] - view.center[1]) / per_pt) as f32;
    let sx = (kx / per_pt) as f32;
    let sy = (1.0 / per_pt) as f32;
    let threshold = if dots {
        DOT_BELOW_PT
    } else {
        HOUSE_HIDDEN_BELOW_PT
    };
    candidates
        .par_chunks(16_384)
        .flat_map_iter(|chunk| {
            chunk.iter().filter_map(move |&i| {
                let [cx, cy, w, h] = *lod.boxes.get(i as usize)?;
                if cx.is_nan() {
                    return None;
                }
                let size = (w * sx).max(h * sy);
                if size >= threshold {
                    return Some(Drawn::Polygon(i, size));
                }
                if !dots {
                    return None;
                }
                DotRaster::pixel_of(width, height, ox + cx * sx, oy - cy * sy)
                    .map(|pixel| Drawn::Dot(i, pixel))
            })
        })
        .collect()
}

/// Adds the cached triangulation of feature `i` to `mesh`, in screen points.
fn add_fill(
    mesh: &mut Mesh,
    store: &PolygonStore,
    tris: &[u32],
    i: u32,
    view: &MapView,
    rect: Rect,
    color: Color32,
) {
    if tris.is_empty() {
        return;
    }
    let base = mesh.vertices.len() as u32;
    for ring in store.rings(i) {
        for &[x, y] in ring {
            mesh.colored_vertex(view.screen_from_world(rect, x, y), color);
        }
    }
    let n = mesh.vertices.len() as u32 - base;
    for t in tris.chunks_exact(3) {
        if t[0] < n && t[1] < n && t[2] < n {
            mesh.add_triangle(base + t[0], base + t[1], base + t[2]);
        }
    }
}

/// Outlines every ring of feature `i` into `shapes`.
pub fn add_outline(
    shapes: &mut Vec<Shape>,
    store: &PolygonStore,
    i: u32,
    view: &MapView,
    rect: Rect,
    stroke: Stroke,
) {
    for ring in store.rings(i) {
        let pts: Vec<Pos2> = ring
            .iter()
            .map(|&[x, y]| view.screen_from_world(rect, x, y))
            .collect();
        if pts.len() >= 2 {
            shapes.push(Shape::closed_line(pts, stroke));
        }
    }
}

/// Prepares the data layers of `map.view` in `rect`, or returns the cached frame when nothing
/// that decides it changed. Triangulations are computed on first use and kept in `map`.
pub fn prepare_layers(session: &Session, map: &mut MapState, rect: Rect) -> LayerFrame {
    let key = LayerKey {
        rect,
        view: map.view,
        theme: session.theme,
        revision: session.revision,
        shown: [map.show_villages, map.show_parcels, map.show_buildings],
    };
    if let Some(cached) = &map.layer_cache
        && cached.key == key
    {
        let mut frame = cached.clone();
        frame.fresh = false;
        return frame;
    }
    let frame = build_layers(session, map, key);
    map.layer_cache = Some(frame.clone());
    frame
}

fn build_layers(session: &Session, map: &mut MapState, key: LayerKey) -> LayerFrame {
    let rect = key.rect;
    let view = key.view;
    let project = &session.project;
    let d = project.data();
    let s = &d.survey;
    let theme = key.theme;
    let vis = view.visible_bbox(rect);
    let mut outlines: Vec<Shape> = Vec::new();
    let mut mesh = Mesh::default();
    let mut raster = DotRaster::new(rect);
    let mut drawn = (0usize, 0usize);
    let mut dots = (0usize, 0usize);

    if map.show_villages {
        for i in 1..s.villages.len() as u32 {
            let b = d.village_geoms.bbox(i);
            if b.is_empty() || !meets(&b, &vis) {
                continue;
            }
            add_outline(
                &mut outlines,
                &d.village_geoms,
                i,
                &view,
                rect,
                Stroke::new(1.5, colors::VILLAGE_LINE),
            );
        }
    }
    let detail = view.meters_per_pt() < 3.0;
    let lod = &mut map.lod;
    if !lod.parcels.matches(&d.parcel_geoms) {
        lod.parcels = LodLayer::of(&d.parcel_geoms);
    }
    if !lod.buildings.matches(&d.building_geoms) {
        lod.buildings = LodLayer::of(&d.building_geoms);
    }
    lod.classes.refresh(session, theme);
    let (width, height) = (raster.width, raster.height);
    if map.show_parcels {
        let ids = candidates(project.parcel_index(), &d.parcel_geoms, vis);
        for drawn_as in classify(&lod.parcels, &ids, &view, rect, width, height, true) {
            match drawn_as {
                Drawn::Dot(i, pixel) => {
                    let class = lod.classes.parcels.get(i as usize).copied().unwrap_or(0);
                    raster.dot(pixel, colors::class_color(theme, class));
                    dots.0 += 1;
                }
                Drawn::Polygon(i, size) => {
                    let class = lod.classes.parcels.get(i as usize).copied().unwrap_or(0);
                    let color = colors::class_color(theme, class);
                    let tris = map.tess_parcels.get(&d.parcel_geoms, i);
                    add_fill(
                        &mut mesh,
                        &d.parcel_geoms,
                        tris,
                        i,
                        &view,
                        rect,
                        colors::lighten(color, 0.45),
                    );
                    if detail || size > 12.0 {
                        add_outline(
                            &mut outlines,
                            &d.parcel_geoms,
                            i,
                            &view,
                            rect,
                            Stroke::new(0.6, Color32::from_gray(110)),
                        );
                    }
                    drawn.0 += 1;
                }
            }
        }
    }
    // Houses are skipped as a layer when even the largest is below the size they are drawn at.
    let largest_house_pt = (lod.buildings.max_size[0] * view.kx_factor())
        .max(lod.buildings.max_size[1])
        / view.deg_per_pt;
    if map.show_buildings && largest_house_pt >= f64::from(HOUSE_HIDDEN_BELOW_PT) {
        let ids = candidates(project.building_index(), &d.building_geoms, vis);
        for drawn_as in classify(&lod.buildings, &ids, &view, rect, width, height, false) {
            let Drawn::Polygon(i, size) = drawn_as else {
                continue;
            };
            let class = lod.classes.buildings.get(i as usize).copied().unwrap_or(0);
            let color = colors::class_color(theme, class);
            let tris = map.tess_buildings.get(&d.building_geoms, i);
            add_fill(&mut mesh, &d.building_geoms, tris, i, &view, rect, color);
            if size > 6.0 {
                add_outline(
                    &mut outlines,
                    &d.building_geoms,
                    i,
                    &view,
                    rect,
                    Stroke::new(0.8, Color32::from_gray(60)),
                );
            }
            drawn.1 += 1;
        }
    }
    LayerFrame {
        key,
        raster: raster.finish(),
        fills: Arc::new(mesh),
        outlines: Arc::new(outlines),
        drawn,
        dots,
        fresh: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{MultiPolygon, polygon};

    fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y),
            (x: x + size, y: y),
            (x: x + size, y: y + size),
            (x: x, y: y + size),
        ]])
    }

    #[test]
    fn small_features_become_dots_where_they_are_and_large_ones_polygons() {
        let mut store = PolygonStore::new();
        store.push(&square(87.0, 44.0, 0.0001)); // ~10 m: a dot at 1 km / pt
        store.push(&square(87.5, 44.2, 0.05)); // ~5 km: a polygon
        store.push(&MultiPolygon(Vec::new())); // empty: nothing
        let lod = LodLayer::of(&store);
        assert!(lod.matches(&store));
        let rect = Rect::from_min_size(Pos2::new(10.0, 20.0), egui::vec2(200.0, 100.0));
        let mut view = MapView {
            center: [87.25, 44.1],
            deg_per_pt: 0.01,
            kx: 1.0,
        };
        let drawn = classify(&lod, &[0, 1, 2], &view, rect, 200, 100, true);
        assert_eq!(drawn.len(), 2);
        // The dot lands on the pixel of the feature's centre.
        let centre = view.screen_from_world(rect, 87.00005, 44.00005);
        let expected = DotRaster::pixel_of(200, 100, centre.x - rect.min.x, centre.y - rect.min.y);
        assert!(matches!(drawn[0], Drawn::Dot(0, p) if Some(p) == expected));
        assert!(matches!(drawn[1], Drawn::Polygon(1, size) if size > 4.0));
        // Houses below the threshold are dropped, not dotted.
        let houses = classify(&lod, &[0], &view, rect, 200, 100, false);
        assert!(houses.is_empty());
        // Zoomed in, the small one is a polygon too.
        view.deg_per_pt = 0.00001;
        view.center = [87.00005, 44.00005];
        let close = classify(&lod, &[0], &view, rect, 200, 100, true);
        assert!(matches!(close[0], Drawn::Polygon(0, _)));
    }

    #[test]
    fn dots_are_two_by_two_and_clipped_at_the_edges() {
        let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(4.0, 3.0));
        let mut raster = DotRaster::new(rect);
        assert!(raster.pixels.is_empty());
        raster.dot(0, Color32::RED);
        raster.dot(11, Color32::BLUE); // bottom-right corner: only one pixel fits
        let image = raster.finish().unwrap();
        let px = |x: usize, y: usize| image.pixels[y * 4 + x];
        assert_eq!([px(0, 0), px(1, 0), px(0, 1), px(1, 1)], [Color32::RED; 4]);
        assert_eq!(px(3, 2), Color32::BLUE);
        assert_eq!(px(2, 2), Color32::TRANSPARENT);
        assert_eq!(DotRaster::pixel_of(4, 3, 4.0, 0.0), None);
        assert_eq!(DotRaster::pixel_of(4, 3, -0.5, 0.0), None);
    }
}
