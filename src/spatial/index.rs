//! The R-tree over feature bounding boxes (rstar, bulk-loaded once) and the queries built on it:
//! viewport queries, picking (every feature under a point, exact on the flat buffers) and the
//! point → polygon joins used to assign parcels to villages and houses to parcels.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::geometry::{Bbox, PolygonStore};

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// An R-tree of `(bbox, feature index)` pairs.
#[derive(Debug, Clone)]
pub struct FeatureIndex {
    tree: RTree<Entry>,
}

impl FeatureIndex {
    /// Bulk-loads the boxes of every non-empty feature of a store.
    pub fn build(store: &PolygonStore) -> FeatureIndex {
        let entries: Vec<Entry> = store
            .bboxes()
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_empty())
            .map(|(i, b)| {
                GeomWithData::new(
                    Rectangle::from_corners([b.min_x, b.min_y], [b.max_x, b.max_y]),
                    i as u32,
                )
            })
            .collect();
        FeatureIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The box of every indexed feature ([`Bbox::EMPTY`] when the index is empty); O(1).
    pub fn extent(&self) -> Bbox {
        if self.tree.size() == 0 {
            return Bbox::EMPTY;
        }
        let env = self.tree.root().envelope();
        Bbox {
            min_x: env.lower()[0],
            min_y: env.lower()[1],
            max_x: env.upper()[0],
            max_y: env.upper()[1],
        }
    }

    /// Features whose box intersects the query box (candidates; not exact).
    pub fn query_box(&self, b: &Bbox) -> Vec<u32> {
        let env = AABB::from_corners([b.min_x, b.min_y], [b.max_x, b.max_y]);
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
            .collect()
    }

    /// Every feature that contains the point (exact even-odd test), smallest box first so the
    /// innermost feature comes first.
    pub fn pick(&self, store: &PolygonStore, x: f64, y: f64) -> Vec<u32> {
        let mut hits: Vec<u32> = self
            .tree
            .locate_all_at_point(&[x, y])
            .map(|e| e.data)
            .filter(|&i| store.contains_point(i, x, y))
            .collect();
        hits.sort_by(|a, b| {
            store
                .bbox(*a)
                .area()
                .total_cmp(&store.bbox(*b).area())
                .then(a.cmp(b))
        });
        hits
    }

    /// The innermost feature containing the point, if any.
    pub fn pick_one(&self, store: &PolygonStore, x: f64, y: f64) -> Option<u32> {
        self.pick(store, x, y).into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{MultiPolygon, polygon};

    #[test]
    fn pick_lists_all_and_innermost_first() {
        let mut s = PolygonStore::new();
        let big = polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)];
        let small = polygon![(x: 10.0, y: 10.0), (x: 20.0, y: 10.0), (x: 20.0, y: 20.0), (x: 10.0, y: 20.0)];
        let tri = polygon![(x: 50.0, y: 50.0), (x: 60.0, y: 50.0), (x: 50.0, y: 60.0)];
        s.push(&MultiPolygon(vec![big]));
        s.push(&MultiPolygon(vec![small]));
        s.push(&MultiPolygon(vec![tri]));
        let idx = FeatureIndex::build(&s);
        assert_eq!(idx.pick(&s, 15.0, 15.0), vec![1, 0]);
        assert_eq!(idx.pick(&s, 59.0, 59.0), vec![0]);
        assert_eq!(idx.pick_one(&s, 51.0, 51.0), Some(2));
        assert!(idx.pick(&s, 150.0, 15.0).is_empty());
        let mut q: Vec<u32> = idx.query_box(&Bbox {
            min_x: 45.0,
            min_y: 45.0,
            max_x: 200.0,
            max_y: 200.0,
        });
        q.sort();
        assert_eq!(q, vec![0, 2]);
    }
}
