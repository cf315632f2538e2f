//! Edits as values (DESIGN §2): an edit names its target record and every field change with the
//! old and the new value, so it has an exact inverse — undo/redo and the audit log (edit_log)
//! come from the same value.

use super::fields::{Field, Layer, Value};

/// The record an edit changes, by dense index in the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A parcel (图斑).
    Parcel(u32),
    /// A house (自建房).
    Building(u32),
}

impl Target {
    /// The layer of the target.
    pub fn layer(self) -> Layer {
        match self {
            Target::Parcel(_) => Layer::Parcel,
            Target::Building(_) => Layer::Building,
        }
    }
    /// The dense index.
    pub fn index(self) -> u32 {
        match self {
            Target::Parcel(i) | Target::Building(i) => i,
        }
    }
}

/// One field's change.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The field.
    pub field: Field,
    /// Value before.
    pub old: Value,
    /// Value after.
    pub new: Value,
}

/// A checked edit of one record (one or more fields, applied together in one transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// The record.
    pub target: Target,
    /// The changes, in the order given.
    pub changes: Vec<FieldChange>,
}

impl Edit {
    /// The edit that undoes this one (changes reversed, old and new swapped).
    pub fn inverse(&self) -> Edit {
        Edit {
            target: self.target,
            changes: self
                .changes
                .iter()
                .rev()
                .map(|c| FieldChange {
                    field: c.field,
                    old: c.new.clone(),
                    new: c.old.clone(),
                })
                .collect(),
        }
    }
    /// True when no change alters a value.
    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(|c| c.old == c.new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_swaps_and_reverses() {
        let e = Edit {
            target: Target::Building(3),
            changes: vec![
                FieldChange {
                    field: Field::AppraisalGrade,
                    old: Value::Null,
                    new: Value::Text("C".into()),
                },
                FieldChange {
                    field: Field::RectStatus,
                    old: Value::Null,
                    new: Value::Text("pending".into()),
                },
            ],
        };
        let inv = e.inverse();
        assert_eq!(inv.changes[0].field, Field::RectStatus);
        assert_eq!(inv.changes[1].new, Value::Null);
        assert_eq!(inv.inverse(), e);
        assert!(!e.is_noop());
    }
}
