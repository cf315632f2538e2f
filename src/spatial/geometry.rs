//! Flat storage of many polygonal features (DESIGN §7): one coordinate array per layer plus
//! ring, part and feature offsets, with precomputed bounding boxes. Features are addressed by
//! a dense `u32` index. Coordinates are f64 in the project CRS (EPSG:4490, x = lon, y = lat,
//! degrees).

use geo::InteriorPoint;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// An axis-aligned bounding box `[min_x, min_y, max_x, max_y]` in the project CRS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// Smallest x.
    pub min_x: f64,
    /// Smallest y.
    pub min_y: f64,
    /// Largest x.
    pub max_x: f64,
    /// Largest y.
    pub max_y: f64,
}

impl Bbox {
    /// The empty box (contains nothing; `expand` makes it a point's box).
    pub const EMPTY: Bbox = Bbox {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };
    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        !(self.min_x <= self.max_x && self.min_y <= self.max_y)
    }
    /// Grows the box to hold a point.
    pub fn expand(&mut self, x: f64, y: f64) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
    }
    /// Grows the box to hold another box.
    pub fn union(&mut self, o: &Bbox) {
        if !o.is_empty() {
            self.expand(o.min_x, o.min_y);
            self.expand(o.max_x, o.max_y);
        }
    }
    /// True when the point lies inside or on the border.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y
    }
    /// Width × height (in squared CRS units).
    pub fn area(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            (self.max_x - self.min_x) * (self.max_y - self.min_y)
        }
    }
}

/// Many polygonal features in flat buffers.
#[derive(Debug, Clone, Default)]
pub struct PolygonStore {
    coords: Vec<[f64; 2]>,
    /// Start of each ring in `coords`; one extra entry at the end.
    ring_starts: Vec<u32>,
    /// Start of each polygon (part) in rings; one extra entry at the end.
    part_starts: Vec<u32>,
    /// Start of each feature in parts; one extra entry at the end.
    feature_starts: Vec<u32>,
    bboxes: Vec<Bbox>,
}

impl PolygonStore {
    /// An empty store.
    pub fn new() -> Self {
        PolygonStore {
            ring_starts: vec![0],
            part_starts: vec![0],
            feature_starts: vec![0],
            ..Default::default()
        }
    }

    /// An empty store with room for `features` features and `vertices` vertices.
    pub fn with_capacity(features: usize, vertices: usize) -> Self {
        let mut s = Self::new();
        s.coords.reserve(vertices);
        s.bboxes.reserve(features);
        s.feature_starts.reserve(features);
        s.part_starts.reserve(features);
        s.ring_starts.reserve(features);
        s
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.bboxes.len()
    }

    /// True when the store holds no feature.
    pub fn is_empty(&self) -> bool {
        self.bboxes.is_empty()
    }

    /// Total number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.coords.len()
    }

    /// Appends a feature and returns its index. Rings are stored as given (closed or not).
    pub fn push(&mut self, mp: &MultiPolygon<f64>) -> u32 {
        let mut bbox = Bbox::EMPTY;
        for poly in &mp.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for c in &ring.0 {
                    self.coords.push([c.x, c.y]);
                    if c.x.is_finite() && c.y.is_finite() {
                        bbox.expand(c.x, c.y);
                    }
                }
                self.ring_starts.push(self.coords.len() as u32);
            }
            self.part_starts.push((self.ring_starts.len() - 1) as u32);
        }
        self.feature_starts
            .push((self.part_starts.len() - 1) as u32);
        self.bboxes.push(bbox);
        (self.bboxes.len() - 1) as u32
    }

    /// Bounding box of a feature (empty box for an out-of-range index or an empty geometry).
    pub fn bbox(&self, i: u32) -> Bbox {
        self.bboxes.get(i as usize).copied().unwrap_or(Bbox::EMPTY)
    }

    /// All bounding boxes, by feature index.
    pub fn bboxes(&self) -> &[Bbox] {
        &self.bboxes
    }

    /// The box of all features.
    pub fn extent(&self) -> Bbox {
        let mut b = Bbox::EMPTY;
        for f in &self.bboxes {
            b.union(f);
        }
        b
    }

    fn range(starts: &[u32], i: usize) -> std::ops::Range<usize> {
        match (starts.get(i), starts.get(i + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The parts (polygons) of a feature, each as its rings (exterior first), each ring a
    /// slice of `[x, y]`.
    pub fn parts(&self, i: u32) -> impl Iterator<Item = impl Iterator<Item = &[[f64; 2]]>> {
        Self::range(&self.feature_starts, i as usize).map(move |part| {
            Self::range(&self.part_starts, part).map(move |ring| {
                self.coords
                    .get(Self::range(&self.ring_starts, ring))
                    .unwrap_or(&[])
            })
        })
    }

    /// All rings of a feature (exteriors and holes), for even-odd tests and drawing outlines.
    pub fn rings(&self, i: u32) -> impl Iterator<Item = &[[f64; 2]]> {
        self.parts(i).flatten()
    }

    /// Point-in-polygon by the even-odd rule over all rings of the feature (holes excluded,
    /// overlapping parts toggle). Points on the border may go either way.
    pub fn contains_point(&self, i: u32, x: f64, y: f64) -> bool {
        if !self.bbox(i).contains(x, y) {
            return false;
        }
        let mut inside = false;
        for ring in self.rings(i) {
            let n = ring.len();
            if n < 3 {
                continue;
            }
            let mut j = n - 1;
            for k in 0..n {
                let [xk, yk] = ring[k];
                let [xj, yj] = ring[j];
                if (yk > y) != (yj > y) && x < (xj - xk) * (y - yk) / (yj - yk) + xk {
                    inside = !inside;
                }
                j = k;
            }
        }
        inside
    }

    /// The feature as a geo-types MultiPolygon.
    pub fn to_multipolygon(&self, i: u32) -> MultiPolygon<f64> {
        let polys = self
            .parts(i)
            .map(|rings| {
                let mut rings =
                    rings.map(|r| LineString(r.iter().map(|&[x, y]| Coord { x, y }).collect()));
                let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
                Polygon::new(exterior, rings.collect())
            })
            .collect();
        MultiPolygon(polys)
    }

    /// A point inside the feature when it has area (the vertex centroid of its first ring when
    /// that lies inside, else geo's interior point), else its bbox centre; `None` for an empty
    /// geometry.
    pub fn interior_point(&self, i: u32) -> Option<[f64; 2]> {
        let b = self.bbox(i);
        if b.is_empty() {
            return None;
        }
        // Fast path: the vertex centroid of the first outer ring, when it lies inside (true
        // of every convex and most concave footprints); else geo's interior point.
        if let Some(ring) = self.rings(i).next()
            && ring.len() > 1
        {
            let n = (ring.len() - 1) as f64;
            let (sx, sy) = ring[..ring.len() - 1]
                .iter()
                .fold((0.0, 0.0), |(sx, sy), &[x, y]| (sx + x, sy + y));
            let (cx, cy) = (sx / n, sy / n);
            if cx.is_finite() && cy.is_finite() && self.contains_point(i, cx, cy) {
                return Some([cx, cy]);
            }
        }
        let mp = self.to_multipolygon(i);
        match mp.interior_point() {
            Some(p) if p.x().is_finite() && p.y().is_finite() => Some([p.x(), p.y()]),
            _ => Some([(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn store_round_trips_and_contains() {
        let square_with_hole = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 6.0, y: 4.0), (x: 6.0, y: 6.0), (x: 4.0, y: 6.0), (x: 4.0, y: 4.0)]],
        ];
        let other =
            polygon![(x: 20.0, y: 0.0), (x: 30.0, y: 0.0), (x: 25.0, y: 5.0), (x: 20.0, y: 0.0)];
        let mut s = PolygonStore::new();
        let a = s.push(&MultiPolygon(vec![square_with_hole.clone()]));
        let b = s.push(&MultiPolygon(vec![other.clone(), square_with_hole.clone()]));
        assert_eq!((a, b, s.len()), (0, 1, 2));
        assert_eq!(
            s.to_multipolygon(a),
            MultiPolygon(vec![square_with_hole.clone()])
        );
        assert_eq!(s.to_multipolygon(b).0.len(), 2);
        assert!(s.contains_point(a, 1.0, 1.0));
        assert!(!s.contains_point(a, 5.0, 5.0));
        assert!(!s.contains_point(a, 15.0, 5.0));
        assert!(s.contains_point(b, 25.0, 1.0));
        assert_eq!(
            s.bbox(b),
            Bbox {
                min_x: 0.0,
                min_y: 0.0,
                max_x: 30.0,
                max_y: 10.0
            }
        );
        let ip = s.interior_point(a).expect("point");
        assert!(s.contains_point(a, ip[0], ip[1]));
        assert!(s.interior_point(7).is_none());
    }
}
