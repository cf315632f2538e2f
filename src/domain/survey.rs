//! The survey of one project in memory: villages, parcels, houses, the parcel → houses index and
//! the per-village counters kept up to date by every edit.

use super::admin::Village;
use super::edit::{Edit, FieldChange, Target};
use super::fields::{Field, FieldError, Layer, Value};
use super::records::{Building, Parcel};
use super::rules::{Violation, check_building, check_parcel};
use super::stats::{Counts, VillageCounts, recompute};

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The target index is out of range.
    #[error("no {layer} with index {index}")]
    NoSuchRecord {
        /// `parcels` or `buildings`.
        layer: &'static str,
        /// The index asked for.
        index: u32,
    },
    /// The field belongs to the other layer or is not editable.
    #[error("field {field} cannot be set on {layer}")]
    WrongLayer {
        /// Field key.
        field: &'static str,
        /// Layer code.
        layer: &'static str,
    },
    /// A value does not fit its field.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The edit would break state rules.
    #[error("rule broken: {}", .0.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    Rules(Vec<Violation>),
}

/// Whether [`Survey::prepare`] enforces the state rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleCheck {
    /// Refuse an edit that adds a violation (normal edits).
    Enforce,
    /// Skip the check (undo/redo of edits already accepted, replays).
    Skip,
}

/// All survey records of a project.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    /// Villages; index 0 is the unassigned pseudo-village.
    pub villages: Vec<Village>,
    /// Parcels (图斑), by dense index.
    pub parcels: Vec<Parcel>,
    /// Houses (自建房), by dense index.
    pub buildings: Vec<Building>,
    /// Houses of each parcel (indices into `buildings`), aligned with `parcels`.
    houses_of: Vec<Vec<u32>>,
    /// Per-village counters, kept incrementally.
    counts: VillageCounts,
}

impl Survey {
    /// Builds a survey and computes its counters. Village ids of records must index `villages`
    /// (index 0 = unassigned); a building's `parcel` must index `parcels`.
    pub fn new(villages: Vec<Village>, parcels: Vec<Parcel>, buildings: Vec<Building>) -> Survey {
        let mut villages = villages;
        if villages.first().is_none_or(|v| !v.code.is_empty()) {
            villages.insert(0, Village::unassigned());
        }
        let mut houses_of = vec![Vec::new(); parcels.len()];
        for (i, b) in buildings.iter().enumerate() {
            if let Some(p) = b.parcel
                && let Some(list) = houses_of.get_mut(p as usize)
            {
                list.push(i as u32);
            }
        }
        let counts = recompute(villages.len(), &parcels, &buildings);
        Survey {
            villages,
            parcels,
            buildings,
            houses_of,
            counts,
        }
    }

    /// Per-village counters (incrementally maintained).
    pub fn counts(&self) -> &VillageCounts {
        &self.counts
    }

    /// Houses in a parcel.
    pub fn houses_of(&self, parcel: u32) -> &[u32] {
        self.houses_of
            .get(parcel as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// Finds a parcel by its code (linear; the app keeps its own map for speed).
    pub fn parcel_by_code(&self, code: &str) -> Option<u32> {
        self.parcels
            .iter()
            .position(|p| p.code == code)
            .map(|i| i as u32)
    }

    /// Finds a house by its code (linear).
    pub fn building_by_code(&self, code: &str) -> Option<u32> {
        self.buildings
            .iter()
            .position(|b| b.code == code)
            .map(|i| i as u32)
    }

    /// Current violations of a record (for a parcel: including its houses' mandatory fields).
    pub fn violations(&self, target: Target) -> Vec<Violation> {
        match target {
            Target::Parcel(i) => match self.parcels.get(i as usize) {
                Some(p) => check_parcel(
                    p,
                    self.houses_of(i)
                        .iter()
                        .filter_map(|&b| self.buildings.get(b as usize)),
                ),
                None => Vec::new(),
            },
            Target::Building(i) => self
                .buildings
                .get(i as usize)
                .map(check_building)
                .unwrap_or_default(),
        }
    }

    /// Current value of a field of a record.
    pub fn value(&self, target: Target, field: Field) -> Option<Value> {
        match target {
            Target::Parcel(i) => self.parcels.get(i as usize).map(|p| field.get_parcel(p)),
            Target::Building(i) => self
                .buildings
                .get(i as usize)
                .map(|b| field.get_building(b)),
        }
    }

    /// Checks a set of new values for one record and returns the complete edit (old values
    /// filled in) without changing anything. With [`RuleCheck::Enforce`] the edit is refused
    /// if it adds a violation to the record or (for a house) to its parcel; violations that were
    /// already there do not block it.
    pub fn prepare(
        &self,
        target: Target,
        values: &[(Field, Value)],
        check: RuleCheck,
    ) -> Result<Edit, EditError> {
        let idx = target.index();
        let mut changes = Vec::with_capacity(values.len());
        match target {
            Target::Parcel(i) => {
                let p = self
                    .parcels
                    .get(i as usize)
                    .ok_or(EditError::NoSuchRecord {
                        layer: Layer::Parcel.code(),
                        index: idx,
                    })?;
                let mut after = p.clone();
                for (field, new) in values {
                    if field.layer() != Layer::Parcel || !field.editable() {
                        return Err(EditError::WrongLayer {
                            field: field.key(),
                            layer: Layer::Parcel.code(),
                        });
                    }
                    let old = field.get_parcel(&after);
                    field.set_parcel(&mut after, new)?;
                    changes.push(FieldChange {
                        field: *field,
                        old,
                        new: field.get_parcel(&after),
                    });
                }
                if check == RuleCheck::Enforce {
                    let houses = || {
                        self.houses_of(i)
                            .iter()
                            .filter_map(|&b| self.buildings.get(b as usize))
                    };
                    let before = check_parcel(p, houses());
                    let added: Vec<Violation> = check_parcel(&after, houses())
                        .into_iter()
                        .filter(|v| !before.contains(v))
                        .collect();
                    if !added.is_empty() {
                        return Err(EditError::Rules(added));
                    }
                }
            }
            Target::Building(i) => {
                let b = self
                    .buildings
                    .get(i as usize)
                    .ok_or(EditError::NoSuchRecord {
                        layer: Layer::Building.code(),
                        index: idx,
                    })?;
                let mut after = b.clone();
                for (field, new) in values {
                    if field.layer() != Layer::Building || !field.editable() {
                        return Err(EditError::WrongLayer {
                            field: field.key(),
                            layer: Layer::Building.code(),
                        });
                    }
                    let old = field.get_building(&after);
                    field.set_building(&mut after, new)?;
                    changes.push(FieldChange {
                        field: *field,
                        old,
                        new: field.get_building(&after),
                    });
                }
                if check == RuleCheck::Enforce {
                    let mut added: Vec<Violation> = check_building(&after)
                        .into_iter()
                        .filter(|v| !check_building(b).contains(v))
                        .collect();
                    if let Some(pi) = b.parcel
                        && let Some(p) = self.parcels.get(pi as usize)
                    {
                        let houses = self.houses_of(pi);
                        let others = houses
                            .iter()
                            .filter(|&&h| h != i)
                            .filter_map(|&h| self.buildings.get(h as usize));
                        let before = check_parcel(p, others.clone().chain(std::iter::once(b)));
                        let now = check_parcel(p, others.chain(std::iter::once(&after)));
                        added.extend(now.into_iter().filter(|v| !before.contains(v)));
                    }
                    if !added.is_empty() {
                        return Err(EditError::Rules(added));
                    }
                }
            }
        }
        Ok(Edit { target, changes })
    }

    /// Checks that every value of an edit fits its record, without changing anything.
    pub fn check_applies(&self, edit: &Edit) -> Result<(), EditError> {
        let idx = edit.target.index() as usize;
        match edit.target {
            Target::Parcel(_) => {
                let mut p = self
                    .parcels
                    .get(idx)
                    .ok_or(EditError::NoSuchRecord {
                        layer: Layer::Parcel.code(),
                        index: edit.target.index(),
                    })?
                    .clone();
                for c in &edit.changes {
                    c.field.set_parcel(&mut p, &c.new)?;
                }
            }
            Target::Building(_) => {
                let mut b = self
                    .buildings
                    .get(idx)
                    .ok_or(EditError::NoSuchRecord {
                        layer: Layer::Building.code(),
                        index: edit.target.index(),
                    })?
                    .clone();
                for c in &edit.changes {
                    c.field.set_building(&mut b, &c.new)?;
                }
            }
        }
        Ok(())
    }

    /// Applies a prepared edit (or the inverse of one) and updates the counters by its delta.
    /// The values were checked by [`Survey::prepare`]; a value that no longer fits is an error
    /// and leaves the record unchanged.
    pub fn apply(&mut self, edit: &Edit) -> Result<(), EditError> {
        let idx = edit.target.index() as usize;
        match edit.target {
            Target::Parcel(_) => {
                let p = self.parcels.get(idx).ok_or(EditError::NoSuchRecord {
                    layer: Layer::Parcel.code(),
                    index: edit.target.index(),
                })?;
                let mut after = p.clone();
                for c in &edit.changes {
                    c.field.set_parcel(&mut after, &c.new)?;
                }
                let before = Counts::of_parcel(p);
                self.counts.add(p.village, &before, -1);
                self.counts
                    .add(after.village, &Counts::of_parcel(&after), 1);
                self.parcels[idx] = after;
            }
            Target::Building(_) => {
                let b = self.buildings.get(idx).ok_or(EditError::NoSuchRecord {
                    layer: Layer::Building.code(),
                    index: edit.target.index(),
                })?;
                let mut after = b.clone();
                for c in &edit.changes {
                    c.field.set_building(&mut after, &c.new)?;
                }
                let before = Counts::of_building(b);
                self.counts.add(b.village, &before, -1);
                self.counts
                    .add(after.village, &Counts::of_building(&after), 1);
                self.buildings[idx] = after;
            }
        }
        Ok(())
    }

    /// Counters recomputed from scratch (what the incremental counters must equal).
    pub fn recomputed_counts(&self) -> VillageCounts {
        recompute(self.villages.len(), &self.parcels, &self.buildings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::admin::VillageId;
    use crate::domain::codes::{
        AppraisalGrade, PrelimHazard, StructureType, SurveyStatus, UseClass,
    };
    use proptest::prelude::*;

    fn sample() -> Survey {
        let villages = vec![
            Village::unassigned(),
            Village {
                code: "440306017001".into(),
                name: "宝民".into(),
                township_name: "新安街道".into(),
                county_name: "宝安区".into(),
            },
            Village {
                code: "440306018001".into(),
                name: "固戍".into(),
                township_name: "西乡街道".into(),
                county_name: "宝安区".into(),
            },
        ];
        let parcels = (0..6)
            .map(|i| Parcel::new(format!("P{i}"), VillageId(i % 3)))
            .collect();
        let buildings = (0..12)
            .map(|i| {
                let mut b = Building::new(format!("B{i}"));
                b.parcel = Some(i / 2);
                b.village = VillageId((i / 2) % 3);
                b
            })
            .collect();
        Survey::new(villages, parcels, buildings)
    }

    #[test]
    fn surveyed_needs_house_data_and_undo_restores() {
        let mut s = sample();
        let err = s
            .prepare(
                Target::Parcel(1),
                &[(Field::SurveyStatus, Value::Text("surveyed".into()))],
                RuleCheck::Enforce,
            )
            .expect_err("rules");
        assert!(
            matches!(err, EditError::Rules(ref v) if v.len() == 2 + 2 * 4),
            "{err}"
        );
        for b in [2u32, 3] {
            let vals = [
                (
                    Field::UseClass,
                    Field::UseClass.parse_value("经营性").expect("v"),
                ),
                (Field::FloorsAbove, Value::Int(3)),
                (
                    Field::StructureType,
                    Value::Text(StructureType::Masonry.code_str().into()),
                ),
                (Field::PrelimHazard, Value::Text("some".into())),
            ];
            let e = s
                .prepare(Target::Building(b), &vals, RuleCheck::Enforce)
                .expect("house");
            s.apply(&e).expect("apply");
        }
        let e = s
            .prepare(
                Target::Parcel(1),
                &[
                    (Field::SurveyStatus, Value::Text("surveyed".into())),
                    (Field::Surveyor, Value::Text("李四".into())),
                    (Field::SurveyedAt, Value::Text("2024-05-01".into())),
                ],
                RuleCheck::Enforce,
            )
            .expect("ok");
        s.apply(&e).expect("apply");
        let v1 = s.counts().by_village[1];
        assert_eq!(
            (
                v1.surveyed,
                v1.commercial,
                v1.hazardous_commercial,
                v1.priority
            ),
            (1, 2, 2, 2)
        );
        assert_eq!(s.counts(), &s.recomputed_counts());
        // clearing a house's mandatory field in a surveyed parcel is refused
        let err = s.prepare(
            Target::Building(2),
            &[(Field::UseClass, Value::Null)],
            RuleCheck::Enforce,
        );
        assert!(matches!(err, Err(EditError::Rules(_))));
        s.apply(&e.inverse()).expect("undo");
        assert_eq!(s.parcels[1].survey_status, SurveyStatus::NotSurveyed);
        assert_eq!(s.counts().by_village[1].surveyed, 0);
        assert_eq!(s.counts(), &s.recomputed_counts());
    }

    #[test]
    fn wrong_layer_and_bad_index_are_errors() {
        let s = sample();
        assert!(matches!(
            s.prepare(
                Target::Parcel(0),
                &[(Field::UseClass, Value::Null)],
                RuleCheck::Enforce
            ),
            Err(EditError::WrongLayer { .. })
        ));
        assert!(matches!(
            s.prepare(
                Target::Building(99),
                &[(Field::UseClass, Value::Null)],
                RuleCheck::Enforce
            ),
            Err(EditError::NoSuchRecord { .. })
        ));
    }

    trait CodeStr {
        fn code_str(self) -> &'static str;
    }
    impl CodeStr for StructureType {
        fn code_str(self) -> &'static str {
            use crate::domain::codes::Coded;
            self.code()
        }
    }

    fn arb_change() -> impl Strategy<Value = (bool, u32, usize, usize)> {
        (any::<bool>(), 0u32..12, 0usize..8, 0usize..5)
    }

    proptest! {
        /// Statistics after any sequence of edits (and undos) equal a fresh recomputation.
        #[test]
        fn incremental_counts_equal_recomputation(ops in proptest::collection::vec(arb_change(), 1..60)) {
            let mut s = sample();
            let mut history: Vec<Edit> = Vec::new();
            for (on_parcel, idx, field_pick, value_pick) in ops {
                let (target, field, text) = if on_parcel {
                    let statuses = ["not_surveyed", "in_progress", "surveyed", "in_progress", "not_surveyed"];
                    (Target::Parcel(idx % 6), Field::SurveyStatus, statuses[value_pick].to_string())
                } else {
                    let fields = [Field::UseClass, Field::AppraisalGrade, Field::PrelimHazard, Field::RectStatus,
                                  Field::LookbackDone, Field::FloorsAbove, Field::Occupants, Field::FloorAreaM2];
                    let f = fields[field_pick];
                    let text = match f {
                        Field::UseClass => ["commercial", "mixed", "residential", "", "commercial"][value_pick].to_string(),
                        Field::AppraisalGrade => ["A", "B", "C", "D", ""][value_pick].to_string(),
                        Field::PrelimHazard => ["severe", "some", "none", "", "severe"][value_pick].to_string(),
                        Field::RectStatus => ["not_needed", "pending", "in_progress", "done", ""][value_pick].to_string(),
                        Field::LookbackDone => ["是", "否", "是", "否", ""][value_pick].to_string(),
                        Field::FloorsAbove => ["1", "2", "3", "7", ""][value_pick].to_string(),
                        Field::Occupants => ["0", "9", "10", "55", ""][value_pick].to_string(),
                        _ => ["12.34", "0.01", "1000", "", "77.7"][value_pick].to_string(),
                    };
                    (Target::Building(idx), f, text)
                };
                let value = field.parse_value(&text).expect("value");
                if let Ok(e) = s.prepare(target, &[(field, value)], RuleCheck::Skip) {
                    s.apply(&e).expect("apply");
                    history.push(e);
                }
                prop_assert_eq!(s.counts(), &s.recomputed_counts());
            }
            while let Some(e) = history.pop() {
                s.apply(&e.inverse()).expect("undo");
            }
            prop_assert_eq!(s.counts(), &sample().recomputed_counts());
            let _ = (AppraisalGrade::A, PrelimHazard::None, UseClass::Mixed);
        }
    }
}
