//! Two copies of fangcha on one project: the second one may read (and sees every committed
//! edit of the first) but cannot write; nothing is lost, the file stays sound.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;
use fangcha::app::project::{Project, ProjectError};
use fangcha::domain::edit::Target;
use fangcha::domain::fields::{Field, Value};

#[test]
fn second_writer_is_refused_and_readers_see_the_edits() {
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = import_bubenec(dir.path());
    let mut first = Project::open(&p, "first").expect("open");
    let parcel = first
        .data()
        .survey
        .parcels
        .iter()
        .position(|_| true)
        .expect("a parcel") as u32;
    let code = first.data().survey.parcels[parcel as usize].code.clone();

    // a second writer in this process is refused; read-only works
    assert!(matches!(
        Project::open(&p, "second"),
        Err(ProjectError::Locked(..))
    ));
    let app_view = Project::open_for_app(&p, "second").expect("read-only fallback");
    assert!(app_view.is_read_only());

    // the first writer edits; a CLI writer in another process is refused with a clear line
    first
        .edit(
            Target::Parcel(parcel),
            &[(Field::SurveyStatus, Value::Text("in_progress".into()))],
        )
        .expect("edit");
    let o = fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--parcel".as_ref(),
        code.as_ref(),
        "--set".as_ref(),
        "survey_status=surveyed".as_ref(),
    ] as [&std::ffi::OsStr; 6]);
    let err = fails(&o);
    assert!(err.contains("being edited in another fangcha"), "{err}");

    // readers in another process see the committed edit while the writer is still open
    let csv = ok(&fangcha([
        "stats".as_ref(),
        p.as_os_str(),
        "--level".as_ref(),
        "total".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    assert!(csv.contains("total,,合计,407,406,1,0,"), "{csv}");

    // the read-only copy refuses edits and changes nothing
    let mut ro = Project::open_read_only(&p, "ro").expect("ro");
    assert!(
        ro.edit(
            Target::Parcel(parcel),
            &[(Field::Surveyor, Value::Text("x".into()))]
        )
        .is_err()
    );

    drop(app_view);
    drop(ro);
    drop(first);
    // once the first writer is gone, the CLI can write
    ok(&fangcha([
        "edit".as_ref(),
        p.as_os_str(),
        "--parcel".as_ref(),
        code.as_ref(),
        "--set".as_ref(),
        "survey_status=not_surveyed".as_ref(),
    ] as [&std::ffi::OsStr; 6]));
    let reopened = Project::open(&p, "check").expect("free again");
    assert_eq!(reopened.file().integrity_check().expect("check"), "ok");
    let log = reopened.edit_log(None, 10).expect("log");
    assert_eq!(
        log.len(),
        2,
        "one edit from each writer, none lost: {log:?}"
    );
}
