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
fn candidates<'a>(
    index: &'a FeatureIndex,
    store: &'a PolygonStore,
    vis: Bbox,
) -> Box<dyn Iterator<Item = u32> + 'a> {
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
        Box::new(
            store
                .bboxes()
                .iter()
                .enumerate()
                .filter(move |(_, b)| meets(b, &vis))
                .map(|(i, _)| i as u32),
        )
    } else {
        Box::new(index.query_box(&vis).into_iter())
    }
}

/// A raster of dots over the map rect, one pixel per screen point.
struct DotRaster {
    width: usize,
    height: usize,
    pixels: Vec<Color32>,
    origin: Pos2,
    used: bool,
}

impl DotRaster {
    fn new(rect: Rect) -> Self {
        let width = rect.width().ceil().max(1.0) as usize;
        let height = rect.height().ceil().max(1.0) as usize;
        DotRaster {
            width,
            height,
            pixels: Vec::new(),
            origin: rect.min,
            used: false,
        }
    }

    /// A 2×2 dot whose top-left pixel holds `pos`.
    fn dot(&mut self, pos: Pos2, color: Color32) {
        let x = (pos.x - self.origin.x).floor();
        let y = (pos.y - self.origin.y).floor();
        if x < -1.0 || y < -1.0 || x >= self.width as f32 || y >= self.height as f32 {
            return;
        }
        if !self.used {
            self.pixels = vec![Color32::TRANSPARENT; self.width * self.height];
            self.used = true;
        }
        let (x, y) = (x as i64, y as i64);
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (px, py) = (x + dx, y + dy);
            if px >= 0 && py >= 0 && (px as usize) < self.width && (py as usize) < self.height {
                self.pixels[py as usize * self.width + px as usize] = color;
            }
        }
    }

    fn finish(self) -> Option<Arc<ColorImage>> {
        self.used
            .then(|| Arc::new(ColorImage::new([self.width, self.height], self.pixels)))
    }
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
    if map.show_parcels {
        for i in candidates(project.parcel_index(), &d.parcel_geoms, vis) {
            let Some(p) = s.parcels.get(i as usize) else {
                continue;
            };
            let color = colors::class_color(theme, theme.parcel_class(s, i, p));
            let b = d.parcel_geoms.bbox(i);
            let size = screen_size(&view, &b);
            if size < DOT_BELOW_PT {
                let c = view.screen_from_world(
                    rect,
                    (b.min_x + b.max_x) / 2.0,
                    (b.min_y + b.max_y) / 2.0,
                );
                raster.dot(c, color);
                dots.0 += 1;
                continue;
            }
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
    if map.show_buildings {
        for i in candidates(project.building_index(), &d.building_geoms, vis) {
            let b = d.building_geoms.bbox(i);
            let size = screen_size(&view, &b);
            if size < HOUSE_HIDDEN_BELOW_PT {
                continue; // parcels already carry the theme at this scale
            }
            let Some(bld) = s.buildings.get(i as usize) else {
                continue;
            };
            let class = match theme {
                Theme::SurveyStatus => bld
                    .parcel
                    .and_then(|p| s.parcels.get(p as usize).map(|pp| (p, pp)))
                    .map_or(0, |(p, pp)| theme.parcel_class(s, p, pp)),
                t => t.building_class(bld),
            };
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
