//! Sharded runs: `conform run --shard K/N` partitions the cases by resource, `conform merge`
//! makes the whole run's report from the shards' reports; and `conform coverage`.

mod common;
use common::root;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use conform::model::case::Case;
use conform::replay::plan::{self, Shard};
use conform::replay::runner::{RunOptions, Runner};
use serde_json::{Value, json};

fn conform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root())
        .args(args)
        .env_remove("CONFORM_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run conform: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn say(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn read_json(path: &Path) -> Value {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A report without what differs by design between runs (timings, dates, request ids) and
/// between a shard set and a whole run (the `shard` field).
fn comparable(mut report: Value) -> Value {
    for key in ["started_at", "duration_ms", "shard"] {
        report.as_object_mut().map(|o| o.remove(key));
    }
    for case in report["cases"].as_array_mut().into_iter().flatten() {
        for key in ["duration_ms", "client_request_id"] {
            case.as_object_mut().map(|o| o.remove(key));
        }
    }
    report
}

fn ids(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// Runs `conform run ARGS --report-dir DIR`, expecting `code`; returns the report.
fn run(args: &[&str], dir: &Path, code: i32) -> Value {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let dir_arg = s(dir);
    all.extend(["--report-dir", &dir_arg]);
    let out = conform(&all);
    assert_eq!(out.status.code(), Some(code), "{all:?}: {}", say(&out));
    read_json(&dir.join("report.json"))
}

/// Runs every shard of `n`, merges them, and checks the merged report is the whole run's.
fn shards_merge_to_the_whole_run(args: &[&str], baseline: &str, n: usize, code: i32) -> Value {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut with_baseline = args.to_vec();
    with_baseline.extend(["--baseline", baseline]);
    let whole = run(&with_baseline, &tmp.path().join("whole"), code);
    let mut dirs = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for k in 1..=n {
        let dir = tmp.path().join(format!("shard-{k}"));
        let shard = format!("{k}/{n}");
        let mut a = with_baseline.clone();
        a.extend(["--shard", &shard]);
        // A shard's own gate says whether its cases passed; `merge` decides the run's.
        let dir_arg = s(&dir);
        let mut all = vec!["run"];
        all.extend_from_slice(&a);
        all.extend(["--report-dir", &dir_arg]);
        let out = conform(&all);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", say(&out));
        let report = read_json(&dir.join("report.json"));
        assert_eq!(report["shard"]["index"], k);
        assert_eq!(report["shard"]["total"], n);
        assert_eq!(report["shard"]["selected"], whole["summary"]["total"]);
        // A shard cannot know what the others ran: it calls no entry stale.
        assert_eq!(report["gate"]["stale_baseline"], json!([]), "{shard}");
        seen.extend(ids(&report));
        dirs.push(s(&dir));
    }
    // Every case in exactly one shard.
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        seen.len(),
        "a case ran in two shards: {seen:?}"
    );
    assert_eq!(sorted, ids(&whole));
    let merged_dir = tmp.path().join("merged");
    let mut m: Vec<&str> = vec!["merge"];
    m.extend(dirs.iter().map(String::as_str));
    let out_arg = s(&merged_dir);
    m.extend(["--out", &out_arg, "--baseline", baseline]);
    let out = conform(&m);
    assert_eq!(out.status.code(), Some(code), "{}", say(&out));
    let stdout = text(&out.stdout);
    let merged = read_json(&merged_dir.join("report.json"));
    assert!(merged.get("shard").is_none(), "{merged}");
    assert_eq!(comparable(merged.clone()), comparable(whole.clone()));
    let s = &whole["summary"];
    assert!(
        stdout.contains(&format!(
            "{} passed, {} failed, {} errored, {} skipped, {} waived",
            s["passed"], s["failed"], s["errored"], s["skipped"], s["waived"]
        )),
        "{stdout}"
    );
    assert!(merged_dir.join("junit.xml").is_file());
    merged
}

#[test]
fn two_and_three_shards_merge_to_the_whole_run_of_the_seed_cases() {
    let baseline = s(&root().join("reports").join("baseline.json"));
    for n in [2, 3] {
        let merged = shards_merge_to_the_whole_run(&[], &baseline, n, 0);
        assert_eq!(merged["summary"]["total"], 6);
        assert_eq!(merged["summary"]["waived"], 1);
        assert_eq!(merged["gate"]["passed"], true);
        assert_eq!(merged["coverage"]["operations"]["documented"], 4);
    }
}

#[test]
fn a_shard_is_the_same_whatever_the_concurrency() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for k in ["1/2", "2/2"] {
        let one = run(&["--shard", k, "--jobs", "1"], &tmp.path().join("one"), 0);
        let many = run(&["--shard", k, "--jobs", "8"], &tmp.path().join("many"), 0);
        assert_eq!(ids(&one), ids(&many), "{k}");
        assert!(!ids(&one).is_empty(), "{k}");
    }
}

/// The seed cases in `dir`, each documented 200 asking `Prefer: return=representation` but
/// the hostSecurityProfile one, which therefore fails against a mock whose PATCH answers 204
/// without Prefer (`--patch-default minimal`), while the 204 case waived by the committed
/// baseline passes; and that baseline with an entry for a case that does not exist.
fn failing_set(dir: &Path) -> (PathBuf, PathBuf) {
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(root().join("cases")).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let mut case = read_json(&path);
        if case["response"]["status"] == 200
            && case["id"] != "003_e135c242e05b0c0b.update_hostsecurityprofile"
        {
            let prefer = json!({"name": "Prefer", "value": "return=representation"});
            case["request"]["headers"]
                .as_array_mut()
                .unwrap()
                .push(prefer);
        }
        let name = path.file_name().unwrap_or_default();
        std::fs::write(cases.join(name), case.to_string()).unwrap_or_else(|e| panic!("{e}"));
    }
    let baseline = dir.join("baseline.json");
    let mut known = read_json(&root().join("reports").join("baseline.json"));
    let entries = known["known_failures"].as_array_mut().unwrap();
    entries.push(
        json!({"case": "gone.case", "reason": "the page was removed",
        "checks": ["status"], "status": 500}),
    );
    std::fs::write(&baseline, known.to_string()).unwrap_or_else(|e| panic!("{e}"));
    (cases, baseline)
}

#[test]
fn merge_judges_stale_entries_over_every_shard_and_fails_the_gate_with_the_failing_case() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cases, baseline) = failing_set(tmp.path());
    let cases = s(&cases);
    let args = ["--cases", &cases, "--patch-default", "minimal"];
    let merged = shards_merge_to_the_whole_run(&args, &s(&baseline), 2, 1);
    assert_eq!(merged["gate"]["passed"], false);
    assert_eq!(merged["summary"]["failed"], 1);
    assert_eq!(merged["summary"]["waived"], 0);
    let failed: Vec<&Value> = merged["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] == "failed")
        .collect();
    assert_eq!(
        failed[0]["id"],
        "003_e135c242e05b0c0b.update_hostsecurityprofile"
    );
    let stale: Vec<(&str, &str)> = merged["gate"]["stale_baseline"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["case"].as_str().unwrap(), e["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stale,
        vec![
            (
                "000_6e3310d0f32980d1.update_usersecurityprofile",
                "the case passes now; remove it from the baseline (--prune-baseline does)"
            ),
            ("gone.case", "no case has this id"),
        ]
    );
    // The hostSecurityProfile answer had no body: its documented properties were not
    // exercised (33 of the 82).
    assert_eq!(
        merged["coverage"]["properties"],
        json!({"documented": 82, "exercised": 49, "passed": 49})
    );
    // A filtered run cannot call an absent case stale, sharded or not.
    let filtered = [&args[..], &["--filter", "000_"]].concat();
    let merged = shards_merge_to_the_whole_run(&filtered, &s(&baseline), 2, 0);
    assert_eq!(merged["summary"]["total"], 2);
    let stale = merged["gate"]["stale_baseline"].as_array().cloned();
    assert_eq!(stale.as_ref().map(Vec::len), Some(1), "{stale:?}");
    assert_eq!(
        merged["gate"]["stale_baseline"][0]["case"],
        "000_6e3310d0f32980d1.update_usersecurityprofile"
    );
}

/// Shard reports of the seed cases: `1/2` and `2/2` in `dir/1` and `dir/2`, `1/3` in `dir/third`,
/// and a whole run in `dir/whole`.
fn shard_reports(dir: &Path) {
    for (shard, sub) in [("1/2", "1"), ("2/2", "2"), ("1/3", "third")] {
        run(&["--shard", shard], &dir.join(sub), 0);
    }
    run(&[], &dir.join("whole"), 0);
}

fn merge_fails(dirs: &[&Path], want: &str) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--out".into(), s(tmp.path())]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = conform(&args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", say(&out));
    let err = text(&out.stderr);
    assert!(err.contains(want), "{args:?}: {err}");
    assert!(
        !tmp.path().join("report.json").exists(),
        "nothing is written"
    );
}

#[test]
fn merge_refuses_what_is_not_every_shard_of_one_run() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = tmp.path();
    shard_reports(d);
    let (one, two, third, whole) = (d.join("1"), d.join("2"), d.join("third"), d.join("whole"));
    merge_fails(&[&one], "shard 2/2 missing: only 1/2 given");
    merge_fails(&[&one, &one], "shard 1/2 is given twice");
    merge_fails(&[&one, &two, &third], "are not shards of one run");
    merge_fails(
        &[&third, &one],
        "shard 1/2 of 6 cases against embedded mock",
    );
    merge_fails(&[&one, &whole], "not the report of a shard");
    merge_fails(&[&one, &d.join("none")], "report.json");
    // Shard 1/2's cases relabelled as shard 2/2: every shard is there, but cases repeat.
    let relabelled = d.join("relabelled");
    std::fs::create_dir_all(&relabelled).unwrap_or_else(|e| panic!("{e}"));
    let mut report = read_json(&one.join("report.json"));
    report["shard"]["index"] = json!(2);
    std::fs::write(relabelled.join("report.json"), report.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    merge_fails(&[&one, &relabelled], "is in two shards' reports");
    // A report file may be named instead of its folder.
    let out = conform(&[
        "merge",
        &s(&one.join("report.json")),
        &s(&two),
        "--out",
        &s(&d.join("merged")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", say(&out));
}

#[test]
fn bad_shards_are_usage_errors() {
    for bad in ["0/2", "3/2", "2", "a/b", "1/0"] {
        let out = conform(&[
            "run",
            "--shard",
            bad,
            "--report-dir",
            "target/unused-reports",
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", say(&out));
        assert!(text(&out.stderr).contains(bad), "{bad}: {}", say(&out));
    }
}

/// For each `(size, name)`, `size` cases of page `name` on one resource `/items/{index}`.
fn synthetic(groups: &[(usize, &str)]) -> Vec<Case> {
    let mut out = Vec::new();
    for (g, (size, name)) in groups.iter().enumerate() {
        for i in 0..*size {
            let c = json!({
                "id": format!("{name}.case-{i}"),
                "name": format!("case-{i}"),
                "source": {"file": format!("{name}.md"), "line": i + 1},
                "request": {"method": "GET", "path": format!("/items/{g}"), "line": i + 1},
                "response": {"status": 200, "line": i + 2}
            });
            out.push(serde_json::from_value(c).unwrap());
        }
    }
    out
}

#[test]
fn shards_partition_whole_resources_the_same_way_whatever_the_order() {
    let cases = synthetic(&[
        (1, "a"),
        (7, "b"),
        (2, "c"),
        (2, "d"),
        (3, "e"),
        (1, "f"),
        (4, "g"),
    ]);
    let key = |c: &Case| plan::resource_key(&c.request.path);
    let of = |cases: &[Case], shard: Shard| -> BTreeSet<String> {
        shard
            .select(cases, key)
            .into_iter()
            .map(|i| cases[i].id.clone())
            .collect()
    };
    let mut reversed = cases.clone();
    reversed.reverse();
    for n in 1..=5 {
        let mut owner: BTreeMap<String, usize> = BTreeMap::new();
        let mut sizes = Vec::new();
        for k in 1..=n {
            let shard = Shard::new(k, n).unwrap();
            let mine = of(&cases, shard);
            assert_eq!(
                mine,
                of(&reversed, shard),
                "{shard}: the order given does not matter"
            );
            sizes.push(mine.len());
            for id in mine {
                assert!(owner.insert(id.clone(), k).is_none(), "{id} in two shards");
            }
        }
        assert_eq!(owner.len(), cases.len(), "every case in a shard");
        // A resource's cases stay together.
        for c in &cases {
            let together: BTreeSet<usize> = cases
                .iter()
                .filter(|d| key(d) == key(c))
                .map(|d| owner[&d.id])
                .collect();
            assert_eq!(together.len(), 1, "{} split over {together:?}", key(c));
        }
        // Balanced: no shard has more than another plus the largest group (7).
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min <= 7, "{n}: {sizes:?}");
        if n == 3 {
            // 20 cases: 7 | 4+2+1 | 3+2+1... dealt largest first to the lightest.
            assert_eq!(sizes, vec![7, 7, 6], "{sizes:?}");
        }
    }
}

#[tokio::test]
async fn seed_shards_keep_the_runners_resources_together() {
    let (cases, schemas) = common::load();
    let runner = Runner::start(&cases, &cases, schemas, RunOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    for k in 1..=2 {
        let shard = Shard::new(k, 2).unwrap();
        for i in shard.select(&cases, |c| runner.resource_key(c)) {
            assert!(owner.insert(cases[i].id.clone(), k).is_none());
        }
    }
    assert_eq!(owner.len(), cases.len());
    let mut by_resource: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for c in &cases {
        by_resource
            .entry(runner.resource_key(c))
            .or_default()
            .insert(owner[&c.id]);
    }
    assert!(
        by_resource.values().all(|s| s.len() == 1),
        "{by_resource:?}"
    );
    // The two documented examples of one userSecurityProfile are one resource.
    assert!(
        by_resource.len() < cases.len(),
        "the seed cases have a resource with two cases: {by_resource:?}"
    );
}

#[test]
fn coverage_prints_what_the_seed_cases_document() {
    let out = conform(&["coverage"]);
    assert_eq!(out.status.code(), Some(0), "{}", say(&out));
    // Counted by hand from cases/: one PATCH per page, the two userSecurityProfile pages
    // (`{userSecurityProfile_Id}`, `{userSecurityProfileId}`) one operation; property paths of
    // the documented answers, nested ones included, annotations not: page 000's 200 example
    // has 6 (its 204 none), 001's 21, 002's 1 (`id`), 003's 33, 004's 25; the two
    // userSecurityProfile pages share /id, /azureSubscriptionId, /createdDateTime and
    // /lastModifiedDateTime, so 6 + 21 - 4 + 1 + 33 + 25 = 82.
    let want = "\
page                      operations  properties
000_6e3310d0f32980d1.txt           1           6
001_cc5b1e10e93770fc.txt           1          21
002_c43a6d57415b08ee.txt           1           1
003_e135c242e05b0c0b.txt           1          33
004_f87374d5002d3c9f.txt           1          25
5 pages, 4 operations, 82 response properties documented
";
    assert_eq!(text(&out.stdout), want);
    let out = conform(&["coverage", "--cases", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/dir"));
}

#[test]
fn a_run_reports_its_coverage_and_prints_the_totals_last() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = conform(&["run", "--report-dir", &s(tmp.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", say(&out));
    // The waived case (204 documented, 200 served) keeps its operation and page from passing.
    assert_eq!(
        text(&out.stdout).lines().last(),
        Some(
            "coverage: 4 of 4 operations exercised, 3 passed; 5 of 5 pages exercised, 4 passed; \
             82 of 82 response properties exercised, 82 passed"
        )
    );
    let report = read_json(&tmp.path().join("report.json"));
    let c = &report["coverage"];
    assert_eq!(
        c["pages"],
        json!({"documented": 5, "exercised": 5, "passed": 4})
    );
    assert_eq!(c["per_page"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        c["per_page"][0],
        json!({"page": "000_6e3310d0f32980d1.txt",
            "operations": {"documented": 1, "exercised": 1, "passed": 0},
            "properties": {"documented": 6, "exercised": 6, "passed": 6}})
    );
    // Reports written before shards and coverage still read.
    let mut old = report.clone();
    old.as_object_mut().map(|o| o.remove("coverage"));
    let path = tmp.path().join("old.json");
    std::fs::write(&path, old.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let read = conform::report::json::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(read.coverage.is_none() && read.shard.is_none());
}

#[test]
fn a_run_that_leaves_bodies_on_disk_gives_the_verdicts_and_coverage_of_one_that_holds_them() {
    // The embedded mock holds every case whole; the same mock called as an in-process service
    // is another target, so the pipeline reads the cases' bodies from their files as each
    // case runs, and the coverage from what it noted while loading.
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let cases_dir = root().join("cases");
    let schemas_dir = root().join("schemas");
    let cases = conform::model::case::load_dir(&cases_dir).unwrap_or_else(|e| panic!("{e}"));
    let schemas = std::sync::Arc::new(
        conform::schema::SchemaSet::load_dir(&schemas_dir).unwrap_or_else(|e| panic!("{e}")),
    );
    let mock = std::sync::Arc::new(conform::mock::Mock::new(&cases, schemas.clone(), None));
    // The embedded mock gives each case the values of the entities it seeded; a service is
    // given them in a parameters file.
    let file = conform::replay::params::ParamsFile {
        cases: cases
            .iter()
            .map(|c| (c.id.clone(), mock.params_for(c)))
            .collect(),
        ..Default::default()
    };
    let normal = |r: &conform::model::result::RunReport| {
        let mut v = serde_json::to_value(r).unwrap_or_else(|e| panic!("{e}"));
        for c in v["cases"].as_array_mut().into_iter().flatten() {
            c.as_object_mut().map(|o| {
                o.remove("duration_ms");
                o.remove("client_request_id")
            });
        }
        (
            v["cases"].clone(),
            v["coverage"].clone(),
            v["summary"].clone(),
        )
    };
    let held = rt
        .block_on(
            conform::Conformance::new()
                .cases_dir(&cases_dir)
                .schemas_dir(&schemas_dir)
                .run(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let lean = rt
        .block_on(
            conform::Conformance::new()
                .cases_dir(&cases_dir)
                .schemas_dir(&schemas_dir)
                .service(conform::mock::MockService::new(mock))
                .options(|o| o.params_file = file)
                .run(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (held, lean) = (normal(&held.report), normal(&lean.report));
    assert_eq!(held.1["properties"]["documented"], 82, "{:#}", held.1);
    assert_eq!(held.1["properties"]["exercised"], 82, "{:#}", held.1);
    assert_eq!(lean, held);
}
