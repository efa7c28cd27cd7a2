//! Blead Breaks CPAN carries each candidate's place in the river (stored by the indexer in the
//! same database) and puts the further-upriver breakages first (and every break before what the
//! new perl fixed).

use riverpan_testers::ingest::{self, NewReport};
use riverpan_testers::{query, store};
use serde_json::json;

fn report(id: u32, dist: &str, perl: &str, grade: &str) -> NewReport {
    let value = json!({
        "id": format!("00000000-0000-4000-8000-{id:012}"),
        "reporter": {"email": "smoker@example.org"},
        "environment": {
            "language": {"name": "Perl 5", "version": perl, "archname": "x86_64-linux"},
            "system": {"osname": "linux", "osversion": "6.1"},
        },
        "distribution": {"name": dist, "version": "1.0"},
        "result": {"grade": grade, "output": {"uncategorized": "t/basic.t .. ok"}},
    });
    match ingest::validate(&value) {
        Ok(report) => report,
        Err(errors) => panic!("invalid fixture: {errors:?}"),
    }
}

#[test]
fn candidates_carry_their_river_position_and_upriver_ones_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open(dir.path()).unwrap();
    let mut reports = Vec::new();
    let mut id = 0;
    // Three dists pass on 5.42.0 and fail on 5.43.9 in the same way.
    for dist in ["Downriver-Dist", "Upriver-Dist", "Middle-Dist"] {
        for (perl, grade) in [("5.42.0", "pass"), ("5.42.0", "pass"), ("5.43.9", "fail")] {
            id += 1;
            reports.push(report(id, dist, perl, grade));
        }
    }
    // Fixed by 5.43.9 and the furthest upriver: still after every break.
    for (perl, grade) in [("5.42.0", "fail"), ("5.43.9", "pass")] {
        id += 1;
        reports.push(report(id, "Fixed-Upriver-Dist", perl, grade));
    }
    ingest::ingest(&mut conn, &reports).unwrap();
    conn.execute_batch(
        "INSERT INTO river_positions (dist, immediate, total, bucket) VALUES
            ('Upriver-Dist', 40, 6000, 4), ('Middle-Dist', 12, 300, 3),
            ('Fixed-Upriver-Dist', 900, 90000, 5);",
    )
    .unwrap();

    let bbc = query::bbc(&conn, None, None).unwrap();
    assert_eq!((bbc.old.as_str(), bbc.new.as_str()), ("5.42.0", "5.43.9"));
    let order: Vec<(&str, query::Verdict)> = bbc
        .candidates
        .iter()
        .map(|c| (c.dist.as_str(), c.verdict))
        .collect();
    assert_eq!(
        order,
        [
            ("Upriver-Dist", query::Verdict::Breaks),
            ("Middle-Dist", query::Verdict::Breaks),
            ("Downriver-Dist", query::Verdict::Breaks),
            ("Fixed-Upriver-Dist", query::Verdict::Fixed),
        ]
    );
    let upriver = &bbc.candidates[0];
    let spot = upriver.river.expect("Upriver-Dist has a river position");
    assert_eq!((spot.immediate, spot.total, spot.bucket), (40, 6000, 4));
    // Not hosted here: no river position, and said so in the JSON.
    assert_eq!(bbc.candidates[2].river, None);
    let as_json = serde_json::to_value(&bbc).unwrap();
    assert_eq!(as_json["candidates"][0]["river"]["total"], 6000);
    assert!(as_json["candidates"][2]["river"].is_null());
}
