//! Bulk loading of a GeoPackage spatial index (`rtree_<table>_geom`, SQLite's R*Tree module)
//! by writing its shadow tables directly, the way GDAL builds large GeoPackage indexes.
//!
//! Inserting a million rows one by one into an R*Tree costs a `ChooseLeaf` descent and node
//! rewrites per row (about a third of a whole import). Here the tree is packed with
//! Sort-Tile-Recursive (Leutenegger et al. 1997): entries sorted into vertical slices by box
//! centre x, each slice sorted by centre y and cut into full nodes, level by level up to one
//! root. The nodes are then written in the R*Tree module's own format (sqlite/ext/rtree/rtree.c):
//!
//! - `<name>_node(nodeno, data)`: node 1 is the root. `data` is exactly as long as the root blob
//!   the module created (its node size): a big-endian u16 tree depth (read from the root only),
//!   a big-endian u16 cell count, then cells of a big-endian i64 (row id in leaves, child node
//!   number above) and the box as big-endian f32 minx, maxx, miny, maxy — each rounded outwards,
//!   so that a stored box always holds the true one;
//! - `<name>_rowid(rowid, nodeno)`: the leaf holding each row;
//! - `<name>_parent(nodeno, parentnode)`: the parent of each node but the root.
//!
//! The virtual table must have been created on this connection and not been queried (the module
//! caches nothing before its first use). `rtreecheck()` accepts the result (tested).

use rusqlite::{Connection, params};

use crate::spatial::geometry::Bbox;

/// Bytes of one cell: an i64 id and four f32 (two dimensions).
const CELL_BYTES: usize = 8 + 4 * 4;
/// Bytes before the first cell: depth and cell count.
const NODE_HEADER_BYTES: usize = 4;

/// An SQLite error carrying `message`.
fn failure(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(message),
    )
}

/// An f32 not greater than `v`.
fn f32_down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v { f.next_down() } else { f }
}

/// An f32 not less than `v`.
fn f32_up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v { f.next_up() } else { f }
}

fn centre(b: &Bbox) -> (f64, f64) {
    ((b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0)
}

/// Packs `entries` into groups of at most `per_node` with Sort-Tile-Recursive.
fn str_pack(mut entries: Vec<(i64, Bbox)>, per_node: usize) -> Vec<Vec<(i64, Bbox)>> {
    let nodes = entries.len().div_ceil(per_node);
    let slices = (nodes as f64).sqrt().ceil().max(1.0) as usize;
    let per_slice = slices * per_node;
    entries.sort_by(|a, b| centre(&a.1).0.total_cmp(&centre(&b.1).0));
    let mut groups = Vec::with_capacity(nodes);
    for slice in entries.chunks_mut(per_slice) {
        slice.sort_by(|a, b| centre(&a.1).1.total_cmp(&centre(&b.1).1));
        for chunk in slice.chunks(per_node) {
            groups.push(chunk.to_vec());
        }
    }
    groups
}

fn union(cells: &[(i64, Bbox)]) -> Bbox {
    let mut b = Bbox::EMPTY;
    for (_, c) in cells {
        b.union(c);
    }
    b
}

/// Encodes one node of `node_size` bytes.
fn encode_node(node_size: usize, depth: u16, cells: &[(i64, Bbox)]) -> Vec<u8> {
    let mut data = vec![0u8; node_size];
    data[0..2].copy_from_slice(&depth.to_be_bytes());
    data[2..4].copy_from_slice(&(cells.len() as u16).to_be_bytes());
    for (k, (id, b)) in cells.iter().enumerate() {
        let at = NODE_HEADER_BYTES + k * CELL_BYTES;
        data[at..at + 8].copy_from_slice(&id.to_be_bytes());
        let coords = [
            f32_down(b.min_x),
            f32_up(b.max_x),
            f32_down(b.min_y),
            f32_up(b.max_y),
        ];
        for (j, c) in coords.iter().enumerate() {
            data[at + 8 + 4 * j..at + 12 + 4 * j].copy_from_slice(&c.to_bits().to_be_bytes());
        }
    }
    data
}

/// Fills the empty R*Tree `rtree` (created by `CREATE VIRTUAL TABLE … USING rtree(id, minx,
/// maxx, miny, maxy)` on `conn`) with `entries` (row id, box); boxes that are empty or not
/// finite are left out. Call inside the transaction that created the table.
///
/// # Errors
/// SQLite errors; an unexpected root node size or a tree deeper than the format allows.
pub fn bulk_load(
    conn: &Connection,
    rtree: &str,
    entries: impl IntoIterator<Item = (i64, Bbox)>,
) -> rusqlite::Result<()> {
    let node_size: usize = conn.query_row(
        &format!("SELECT length(data) FROM \"{rtree}_node\" WHERE nodeno = 1"),
        [],
        |r| r.get::<_, i64>(0),
    )? as usize;
    let per_node = node_size.saturating_sub(NODE_HEADER_BYTES) / CELL_BYTES;
    if per_node < 2 {
        return Err(failure(format!(
            "{rtree}: unexpected node size {node_size}"
        )));
    }
    let leaves: Vec<(i64, Bbox)> = entries
        .into_iter()
        .filter(|(_, b)| {
            !b.is_empty()
                && b.min_x.is_finite()
                && b.min_y.is_finite()
                && b.max_x.is_finite()
                && b.max_y.is_finite()
        })
        .collect();
    if leaves.is_empty() {
        return Ok(());
    }
    // Levels bottom-up: levels[0] are the leaves' groups.
    let mut levels: Vec<Vec<Vec<(i64, Bbox)>>> = vec![str_pack(leaves, per_node)];
    while levels.last().is_some_and(|l| l.len() > 1) {
        let below = levels.last().map(Vec::len).unwrap_or(0);
        // Children are numbered later; their position in the level below stands in for now.
        let parents_of: Vec<(i64, Bbox)> = levels
            .last()
            .map(|l| {
                l.iter()
                    .enumerate()
                    .map(|(k, cells)| (k as i64, union(cells)))
                    .collect()
            })
            .unwrap_or_default();
        debug_assert_eq!(parents_of.len(), below);
        levels.push(str_pack(parents_of, per_node));
    }
    let depth =
        u16::try_from(levels.len() - 1).map_err(|_| failure(format!("{rtree}: tree too deep")))?;
    // Node numbers top-down: the root is 1, then each level in order.
    let mut first_number = Vec::with_capacity(levels.len());
    let mut next = 1i64;
    for level in levels.iter().rev() {
        first_number.push(next);
        next += level.len() as i64;
    }
    first_number.reverse(); // first_number[l] is the number of node 0 of levels[l]

    let mut put_node = conn.prepare(&format!(
        "INSERT OR REPLACE INTO \"{rtree}_node\" (nodeno, data) VALUES (?1, ?2)"
    ))?;
    let mut put_rowid = conn.prepare(&format!(
        "INSERT INTO \"{rtree}_rowid\" (rowid, nodeno) VALUES (?1, ?2)"
    ))?;
    let mut put_parent = conn.prepare(&format!(
        "INSERT INTO \"{rtree}_parent\" (nodeno, parentnode) VALUES (?1, ?2)"
    ))?;
    for (l, level) in levels.iter().enumerate() {
        for (k, cells) in level.iter().enumerate() {
            let nodeno = first_number[l] + k as i64;
            let cells: Vec<(i64, Bbox)> = if l == 0 {
                for (rowid, _) in cells {
                    put_rowid.execute(params![rowid, nodeno])?;
                }
                cells.clone()
            } else {
                // Cells name children by position in the level below: give them their numbers.
                cells
                    .iter()
                    .map(|(child, b)| (first_number[l - 1] + child, *b))
                    .collect()
            };
            if l > 0 {
                for (child, _) in &cells {
                    put_parent.execute(params![child, nodeno])?;
                }
            }
            let node_depth = if nodeno == 1 { depth } else { 0 };
            put_node.execute(params![nodeno, encode_node(node_size, node_depth, &cells)])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(n: usize) -> Vec<(i64, Bbox)> {
        (0..n)
            .map(|i| {
                let x = 87.0 + (i % 1000) as f64 * 0.001;
                let y = 44.0 + (i / 1000) as f64 * 0.001;
                (
                    i as i64 + 1,
                    Bbox {
                        min_x: x,
                        min_y: y,
                        max_x: x + 0.0003,
                        max_y: y + 0.0002,
                    },
                )
            })
            .collect()
    }

    fn rtree_with(n: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy);")
            .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        bulk_load(&tx, "r", boxes(n)).unwrap();
        tx.commit().unwrap();
        conn
    }

    #[test]
    fn bulk_loaded_trees_pass_rtreecheck_and_answer_queries() {
        for n in [1, 2, 51, 52, 2_601, 20_000] {
            let conn = rtree_with(n);
            let check: String = conn
                .query_row("SELECT rtreecheck('r')", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "n = {n}");
            let count: i64 = conn
                .query_row("SELECT count(*) FROM r", [], |r| r.get(0))
                .unwrap();
            assert_eq!(count, n as i64);
            // A window query finds exactly the boxes a linear scan finds.
            let q = (87.1005, 87.2, 44.0, 44.0105);
            let mut got: Vec<i64> = conn
                .prepare("SELECT id FROM r WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4")
                .unwrap()
                .query_map(params![q.0, q.1, q.2, q.3], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            got.sort_unstable();
            let want: Vec<i64> = boxes(n)
                .into_iter()
                .filter(|(_, b)| {
                    b.max_x >= q.0 && b.min_x <= q.1 && b.max_y >= q.2 && b.min_y <= q.3
                })
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, want, "n = {n}");
        }
    }

    #[test]
    fn the_tree_stays_writable_after_bulk_loading() {
        let conn = rtree_with(5_000);
        conn.execute("DELETE FROM r WHERE id % 3 = 0", []).unwrap();
        conn.execute("INSERT INTO r VALUES (100000, 87.5, 87.6, 44.5, 44.6)", [])
            .unwrap();
        let check: String = conn
            .query_row("SELECT rtreecheck('r')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let count: i64 = conn
            .query_row("SELECT count(*) FROM r", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 5_000 - 5_000 / 3 + 1);
    }

    #[test]
    fn boxes_are_rounded_outwards() {
        let v = 87.123_456_789_012_34;
        assert!(f64::from(f32_down(v)) <= v && f64::from(f32_up(v)) >= v);
        assert_eq!(f32_down(0.5), 0.5);
        assert_eq!(f32_up(0.5), 0.5);
    }
}
