//! Power-cut safety: a child process applies edits through the store and prints each edit's
//! group id once `write_edit` has returned (the UI's "saved"); the parent kills it with SIGKILL
//! at random moments, reopens the project and checks that every acknowledged edit is there and
//! that `PRAGMA integrity_check` is ok. 20 kill points.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use fangcha::app::project::Project;
use fangcha::domain::codes::Coded;
use fangcha::domain::codes::SurveyStatus;
use fangcha::domain::edit::Target;
use fangcha::domain::fields::{Field, Value};

const CHILD_ENV: &str = "FANGCHA_CRASH_CHILD";

/// The child: opens the project and edits parcels round-robin until killed, printing
/// "ack <group> <parcel> <status>" after each saved edit.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut project = Project::open(std::path::Path::new(&path), "child").expect("open");
    let n = project.data().survey.parcels.len() as u32;
    let statuses = [SurveyStatus::InProgress, SurveyStatus::NotSurveyed];
    for k in 0..10_000u32 {
        let parcel = k % n;
        let status = statuses[((k / n) % 2) as usize];
        let e = project
            .edit(
                Target::Parcel(parcel),
                &[(Field::SurveyStatus, Value::Text(status.code().into()))],
            )
            .expect("edit");
        let group = project.edit_log(None, 1).expect("log")[0].group;
        let _ = e;
        println!("ack {group} {parcel} {}", status.code());
    }
}

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn acknowledged_edits_survive_kill_9() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = import_bubenec(dir.path());
    let exe = std::env::current_exe().expect("test exe");
    let mut seed = 0x5eed_u64 ^ u64::from(std::process::id());
    let mut total_acked = 0usize;
    for round in 0..20 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &p)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        // kill after a random number of acknowledged edits (1..=120), or a random delay
        let target = 1 + (lcg(&mut seed) % 120) as usize;
        let mut acked: Vec<(i64, u32, String)> = Vec::new();
        let reader = BufReader::new(stdout);
        for line in reader.lines() {
            let Ok(line) = line else { break };
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 4 && parts[0] == "ack" {
                acked.push((
                    parts[1].parse().expect("group"),
                    parts[2].parse().expect("parcel"),
                    parts[3].to_string(),
                ));
                if acked.len() >= target {
                    // mid-flight: the child is already working on the next edit
                    std::thread::sleep(Duration::from_micros(lcg(&mut seed) % 3000));
                    break;
                }
            }
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        total_acked += acked.len();

        let project = Project::open(&p, "check").expect("reopen after kill");
        assert_eq!(
            project.file().integrity_check().expect("integrity"),
            "ok",
            "round {round}"
        );
        let groups: std::collections::HashSet<i64> = project
            .edit_log(None, usize::MAX >> 1)
            .expect("log")
            .into_iter()
            .map(|e| e.group)
            .collect();
        for (group, parcel, status) in &acked {
            assert!(
                groups.contains(group),
                "round {round}: acknowledged edit {group} lost"
            );
            let _ = (parcel, status);
        }
        // the last acknowledged edit of each parcel is the parcel's state, unless a later
        // (unacknowledged) edit of the same parcel also reached the disk
        if let Some((_, parcel, status)) = acked.last() {
            let now = project.data().survey.parcels[*parcel as usize]
                .survey_status
                .code();
            let newer = project
                .edit_log(Some(Target::Parcel(*parcel)), 1)
                .expect("log")[0]
                .group;
            assert!(
                now == status || newer > acked.last().map_or(0, |a| a.0),
                "round {round}"
            );
        }
        drop(project);
    }
    eprintln!("kill -9 test: 20 kill points, {total_acked} acknowledged edits, all present");
    assert!(total_acked >= 20, "edits were acknowledged: {total_acked}");
}
