//! The command line as a user meets it: exit codes, reports, baseline, determinism, secrets.

mod common;
use common::root;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn conform(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conform"));
    cmd.current_dir(root())
        .args(args)
        .env_remove("CONFORM_TOKEN");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run conform: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn read_json(path: &Path) -> Value {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A report with timings and dates blanked, for byte comparison.
fn without_timings(s: &str) -> String {
    s.lines()
        .map(|l| {
            let t = l.trim_start();
            // Timings, dates and the per-exchange client-request-id differ by design.
            if t.starts_with("\"duration_ms\"")
                || t.starts_with("\"started_at\"")
                || t.starts_with("\"client_request_id\"")
            {
                String::new()
            } else {
                let mut out = l.to_string();
                // JUnit `time="…"` and `timestamp="…"` attributes (two runs can start in
                // different seconds).
                for attr in [" time=\"", " timestamp=\""] {
                    while let Some(i) = out.find(attr) {
                        let start = i + attr.len();
                        let end = out[start..].find('"').map_or(out.len(), |j| start + j + 1);
                        out.replace_range(i..end, "");
                    }
                }
                out
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn main_job_passes_the_gate_with_the_waived_case_shown() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let reports = dir.path().to_string_lossy().into_owned();
    let out = conform(&["run", "--report-dir", &reports], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("5 passed, 0 failed, 0 errored, 0 skipped, 1 waived"),
        "{stdout}"
    );
    assert!(
        stdout.contains("WAIVED  000_6e3310d0f32980d1.update_usersecurityprofile"),
        "{stdout}"
    );
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["summary"]["total"], 6);
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(report["gate"]["passed"], true);
    assert_eq!(report["target"], "embedded mock");
    let waived: Vec<&Value> = report["cases"]
        .as_array()
        .map(|a| a.iter().filter(|c| c["outcome"] == "waived").collect())
        .unwrap_or_default();
    assert_eq!(waived.len(), 1);
    assert!(
        waived[0]["waiver"]
            .as_str()
            .is_some_and(|w| w.contains("docs disagree"))
    );
    for case in report["cases"].as_array().into_iter().flatten() {
        for key in [
            "id",
            "source",
            "method",
            "path",
            "outcome",
            "duration_ms",
            "checks",
        ] {
            assert!(case.get(key).is_some(), "case lacks {key}: {case}");
        }
    }
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap_or_default();
    assert_eq!(junit.matches("<testcase ").count(), 6, "{junit}");
    assert_eq!(junit.matches("<skipped").count(), 1, "{junit}");
    // report.html is the page of the very report written beside it.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap_or_default();
    let json = conform::report::json::read(&dir.path().join("report.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(html.contains("Gate PASSED"));
    assert_eq!(html, conform::report::html::render(&json));
}

#[test]
fn reports_are_deterministic_but_for_timings() {
    let a = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let b = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for d in [&a, &b] {
        let out = conform(
            &[
                "run",
                "--jobs",
                "3",
                "--report-dir",
                &d.path().to_string_lossy(),
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    for f in ["report.json", "junit.xml"] {
        let x = std::fs::read_to_string(a.path().join(f)).unwrap_or_default();
        let y = std::fs::read_to_string(b.path().join(f)).unwrap_or_default();
        assert!(!x.is_empty());
        assert_eq!(
            without_timings(&x),
            without_timings(&y),
            "{f} differs between runs"
        );
    }
}

#[test]
fn a_gate_failure_exits_1_and_a_fixed_case_makes_its_entry_stale() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = conform(
        &[
            "run",
            "--patch-default",
            "minimal",
            "--report-dir",
            &dir.path().to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["gate"]["passed"], false);
    assert_eq!(report["summary"]["failed"], 4, "{}", text(&out.stdout));
    let stale = &report["gate"]["stale_baseline"];
    assert_eq!(
        stale[0]["case"], "000_6e3310d0f32980d1.update_usersecurityprofile",
        "{stale}"
    );
    assert!(text(&out.stdout).contains("STALE"));
}

#[test]
fn missing_parameter_against_a_target_is_bad_input() {
    let out = conform(
        &[
            "run",
            "--target",
            "http://127.0.0.1:9/beta",
            "--report-dir",
            "target/unused-reports",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    // Every missing parameter at once, each with its cases, in one error.
    assert!(
        err.contains("4 path parameters have no value, in 5 cases:"),
        "{err}"
    );
    for name in [
        "`hostSecurityProfileId`: 1 case (003_e135c242e05b0c0b.update_hostsecurityprofile)",
        "`userSecurityProfile_Id`: 2 cases (000_6e3310d0f32980d1.update_usersecurityprofile, 000_6e3310d0f32980d1.update_usersecurityprofile-2)",
        "`ipSecurityProfileId`",
        "`userSecurityProfileId`",
    ] {
        assert!(err.contains(name), "{err}");
    }
    assert_eq!(err.matches("conform: error:").count(), 1, "{err}");
}

#[test]
fn unreadable_inputs_are_bad_input() {
    let out = conform(&["run", "--cases", "no/such/dir"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no/such/dir"), "{err}");
    // The operating system's words once, not once per layer that wraps them.
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("baseline.json");
    std::fs::write(&bad, "{\"known_failures\": [ {\"case\": 1} ]}")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = conform(
        &[
            "run",
            "--baseline",
            &bad.to_string_lossy(),
            "--report-dir",
            &dir.path().to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("baseline.json:1:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_parameters_file_that_is_missing_or_not_toml_is_bad_input_and_writes_no_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let reports = dir.path().join("reports");
    let run = |params: &Path| {
        conform(
            &[
                "run",
                "--params",
                &params.to_string_lossy(),
                "--report-dir",
                &reports.to_string_lossy(),
            ],
            &[],
        )
    };
    let out = run(&dir.path().join("absent.toml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("absent.toml"),
        "{}",
        text(&out.stderr)
    );
    // Parsed beside the cases as they load: the error is still the run's only output.
    let bad = dir.path().join("params.toml");
    std::fs::write(&bad, "[params]\nuser-id = \"u1\"\n[cases.\"x\"\nid = 1\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("params.toml: not a valid parameters file") && err.contains("line 3"),
        "{err}"
    );
    assert_eq!(err.matches("conform: error:").count(), 1, "{err}");
    assert!(!reports.exists(), "no report is written");
}

#[test]
fn lint_and_extract_exit_codes() {
    let seeds = root().join("..").join("shared").join("seeds");
    let seeds = seeds.to_string_lossy();
    let out = conform(&["lint", &seeds], &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("warning[broken-url]") && stdout.contains("warning[syntax-mismatch]"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .all(|l| l.contains(": warning[") || l.contains(": error[")),
        "{stdout}"
    );
    assert_eq!(
        conform(&["lint", &seeds, "--deny-warnings"], &[])
            .status
            .code(),
        Some(1)
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = conform(
        &["extract", &seeds, "--out", &dir.path().to_string_lossy()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0),
        6
    );
    assert_eq!(
        conform(&["lint", "no/such/page.md"], &[]).status.code(),
        Some(2)
    );
}

#[test]
fn token_never_appears_in_output_or_reports() {
    let secret = "eyJ0eXAi-very-secret-token-7731";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = conform(
        &["run", "--report-dir", &dir.path().to_string_lossy()],
        &[("CONFORM_TOKEN", secret)],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out.stdout).contains(secret) && !text(&out.stderr).contains(secret));
    for f in ["report.json", "junit.xml", "report.html"] {
        let s = std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
        assert!(!s.is_empty() && !s.contains(secret), "{f}");
    }
}

#[test]
fn serve_prints_routes_and_seeded_ids_and_answers() {
    use std::io::{Read, Write};
    let (mut child, banner) = serve(&[]);
    let text = banner.join("\n");
    let addr = banner[0]
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("PATCH /Security/hostSecurityProfiles/{hostSecurityProfileId}"),
        "{text}"
    );
    assert!(
        text.contains("753b6489-6489-753b-8964-3b7589643b75"),
        "{text}"
    );
    let mut stream = std::net::TcpStream::connect(&addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    let body = r#"{"fqdn":"x.example"}"#;
    let request = format!(
        "PATCH /beta/Security/hostSecurityProfiles/753b6489-6489-753b-8964-3b7589643b75 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"fqdn\":\"x.example\""), "{answer}");
}

/// Starts `conform serve` on a free port; the lines it prints before it waits, up to the
/// `PATCH without Prefer` line, and the process (the caller kills it).
fn serve(args: &[&str]) -> (std::process::Child, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root())
        .args(["serve", "--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut banner = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap_or_default();
        let done = line.starts_with("PATCH without Prefer");
        banner.push(line);
        if done {
            break;
        }
    }
    (child, banner)
}

#[test]
fn serve_lists_twenty_seeded_entities_and_counts_the_rest() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let seed = root().join("cases/003_e135c242e05b0c0b.update_hostsecurityprofile.json");
    let text = std::fs::read_to_string(&seed).unwrap_or_else(|e| panic!("{e}"));
    let case: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..25 {
        let mut c = case.clone();
        c["id"] = format!("many_{i:02}").into();
        c["response"]["body"]["json"]["id"] = format!("entity-{i:02}").into();
        std::fs::write(tmp.path().join(format!("many_{i:02}.json")), c.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (mut child, banner) = serve(&["--cases", &tmp.path().display().to_string()]);
    let _ = child.kill();
    let _ = child.wait();
    let start = banner
        .iter()
        .position(|l| l == "seeded entities:")
        .unwrap_or_else(|| panic!("{banner:#?}"));
    let listed = &banner[start + 1..banner.len() - 1];
    assert_eq!(listed.len(), 21, "{listed:#?}");
    assert!(listed[0].contains("entity-00"), "{listed:#?}");
    assert_eq!(listed[20], "  … and 5 more");
}

#[test]
fn readme_documents_every_diagnostic_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    for code in conform::doc::Code::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.describe());
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}

#[test]
fn readme_documents_every_check_kind() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    for kind in conform::model::result::CheckKind::ALL {
        let row = format!("| `{}` | ", kind.as_str());
        assert!(
            readme.contains(&row),
            "README.md's checks table lacks `{kind}`"
        );
    }
}

#[test]
fn bad_baselines_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (baseline, want) in [
        ("[]", "known_failures"),
        (
            r#"{"known_failures": [{"case": "x", "reason": "r", "checks": ["stauts"], "status": 200}]}"#,
            "unknown variant `stauts`",
        ),
        (
            r#"{"known_failures": [{"case": "x", "reason": "r", "checks": ["status"]}]}"#,
            "nothing pins",
        ),
    ] {
        let bad = dir.path().join("baseline.json");
        std::fs::write(&bad, baseline).unwrap_or_else(|e| panic!("{e}"));
        let out = conform(
            &[
                "run",
                "--baseline",
                &bad.to_string_lossy(),
                "--report-dir",
                &dir.path().join("r").to_string_lossy(),
            ],
            &[],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{baseline}: {err}");
        assert!(err.contains("baseline.json") && err.contains(want), "{err}");
    }
}

#[test]
fn extract_reports_a_case_file_it_cannot_write_and_writes_the_rest() {
    let seeds = root().join("..").join("shared").join("seeds");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let blocked = "000_6e3310d0f32980d1.update_usersecurityprofile.json";
    std::fs::create_dir(dir.path().join(blocked)).unwrap_or_else(|e| panic!("{e}"));
    let out = conform(
        &[
            "extract",
            &seeds.to_string_lossy(),
            "--out",
            &dir.path().to_string_lossy(),
        ],
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(blocked), "{stderr}");
    let written = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .count();
    assert_eq!(written, 5, "the other cases are written: {stderr}");
}

#[test]
fn a_folder_that_cannot_be_read_is_bad_input_but_spares_the_other_pages() {
    let docs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let page = "<!-- { \"blockType\": \"request\", \"name\": \"alone\" } -->\n```http\nGET /me\n```\n<!-- { \"blockType\": \"response\" } -->\n```http\nHTTP/1.1 204 No Content\n```\n<!-- { \"blockType\": \"request\", \"name\": \"orphan\" } -->\n```http\nGET /you\n```\n";
    std::fs::write(docs.path().join("z.md"), page).unwrap_or_else(|e| panic!("{e}"));
    common::unreadable_folder(&docs.path().join("a"), page);
    let docs_arg = docs.path().to_string_lossy().into_owned();
    let out = conform(&["lint", &docs_arg], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("z.md:10: error[orphan-request]"),
        "{stdout}"
    );
    assert!(
        stdout.contains(": error[unreadable]: cannot be read ("),
        "{stdout}"
    );

    let cases = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = conform(
        &[
            "extract",
            &docs_arg,
            "--out",
            &cases.path().to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        cases.path().join("z.alone.json").is_file(),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn readme_shows_the_example_test_file_as_it_is() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    let example = std::fs::read_to_string(
        root()
            .join("examples")
            .join("axum-service")
            .join("tests")
            .join("conformance.rs"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let block = format!("```rust\n{example}```");
    assert!(
        readme.contains(&block),
        "README.md's \"Use it from your own cargo test\" must show examples/axum-service/tests/conformance.rs as it is"
    );
}

#[test]
fn doc_defects_waive_what_the_docs_explain_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let docs = tmp.path().join("docs").join("beta").join("api");
    std::fs::create_dir_all(&docs).unwrap_or_else(|e| panic!("{e}"));
    // The doc's own example shows a property the metadata does not declare; with --strict the
    // mock's answer (the example) fails `unknown`, and the lint diagnostic explains it.
    let page = "<!-- { \"blockType\": \"request\", \"name\": \"get_profile\" } -->\n```http\nGET https://graph.microsoft.com/beta/security/userSecurityProfiles/{id}\n```\n<!-- { \"blockType\": \"response\", \"@odata.type\": \"microsoft.graph.userSecurityProfile\" } -->\n```http\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\": \"p1\", \"notDeclared\": 1}\n```\n";
    std::fs::write(docs.join("profile-get.md"), page).unwrap_or_else(|e| panic!("{e}"));
    let p = |x: &Path| x.display().to_string();
    let (cases, reports) = (tmp.path().join("cases"), tmp.path().join("reports"));
    let docs_root = p(&tmp.path().join("docs"));
    let out = conform(&["extract", &docs_root, "--out", &p(&cases)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = |baseline: Option<&Path>| {
        let mut args = vec![
            "run".to_string(),
            "--cases".into(),
            p(&cases),
            "--strict".into(),
            "--report-dir".into(),
            p(&reports),
        ];
        if let Some(b) = baseline {
            args.extend(["--baseline".into(), p(b)]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        conform(&args, &[])
    };
    assert_eq!(run(None).status.code(), Some(1));
    let file = tmp.path().join("doc-defects.json");
    let report = p(&reports.join("report.json"));
    let out = conform(
        &[
            "doc-defects",
            &docs_root,
            "--report",
            &report,
            "--out",
            &p(&file),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let baseline = read_json(&file);
    let entry = &baseline["known_failures"][0];
    assert_eq!(
        entry["case"], "beta.api.profile-get.get_profile",
        "{baseline}"
    );
    assert_eq!(entry["failures"][0]["check"], "unknown", "{baseline}");
    assert!(
        entry["reason"].as_str().is_some_and(
            |r| r.contains("beta/api/profile-get.md:") && r.contains("[unknown-property]")
        ),
        "{baseline}"
    );
    let waived = run(Some(&file));
    assert_eq!(waived.status.code(), Some(0), "{}", text(&waived.stdout));
    // The entry pins that failure only: an answer that also breaks the schema is not waived.
    std::fs::write(
        docs.join("profile-get.md"),
        page.replace("\"id\": \"p1\"", "\"id\": 5"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = conform(&["extract", &docs_root, "--out", &p(&cases)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(run(Some(&file)).status.code(), Some(1));
}

/// The seed cases' four path parameters, for runs against a URL.
const SEED_PARAMS: [&str; 8] = [
    "--param",
    "hostSecurityProfileId=h1",
    "--param",
    "userSecurityProfile_Id=u1",
    "--param",
    "ipSecurityProfileId=i1",
    "--param",
    "userSecurityProfileId=u1",
];

/// `conform run` against the embedded mock with a baseline file and reports in `dir`.
fn run_with_baseline(dir: &Path, extra: &[&str]) -> Output {
    let reports = dir.join("reports").to_string_lossy().into_owned();
    let baseline = dir.join("b.json").to_string_lossy().into_owned();
    let mut args = vec!["run", "--report-dir", &reports, "--baseline", &baseline];
    args.extend_from_slice(extra);
    conform(&args, &[])
}

/// The case ids a baseline file lists, in file order.
fn listed(dir: &Path) -> Vec<String> {
    read_json(&dir.join("b.json"))["known_failures"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["case"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The four cases that fail when the mock answers PATCH without Prefer with 204.
const MINIMAL_FAILURES: [&str; 4] = [
    "001_cc5b1e10e93770fc.update_usersecurityprofile",
    "002_c43a6d57415b08ee.update_security",
    "003_e135c242e05b0c0b.update_hostsecurityprofile",
    "004_f87374d5002d3c9f.update_ipsecurityprofile",
];

#[test]
fn update_baseline_waives_the_failures_and_keeps_what_the_user_wrote() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path();
    let minimal = ["--patch-default", "minimal"];
    assert_eq!(run_with_baseline(dir, &minimal).status.code(), Some(2));
    let out = run_with_baseline(dir, &["--patch-default", "minimal", "--update-baseline"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{err}", text(&out.stdout));
    assert!(err.contains(": added 4, kept 0, removed 0"), "{err}");
    assert!(err.contains("4 entries still say \"TODO: "), "{err}");
    assert_eq!(listed(dir), MINIMAL_FAILURES);
    let file = read_json(&dir.join("b.json"));
    let first = &file["known_failures"][0];
    assert_eq!(first["reason"], "TODO: why this failure is accepted");
    assert_eq!(first["failures"][0]["check"], "status");
    assert_eq!(first["failures"][0]["status"], 204);
    let in_90_days = chrono::Utc::now().date_naive() + chrono::Days::new(90);
    assert_eq!(first["expires"], in_90_days.to_string());
    // The next run passes the gate on the baseline as written, the failures waived.
    let out = run_with_baseline(dir, &minimal);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("2 passed, 0 failed, 0 errored, 0 skipped, 4 waived"));
    // The user writes a reason and a date; an update keeps both and changes nothing else.
    let path = dir.join("b.json");
    let edited = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replacen("TODO: why this failure is accepted", "vendor bug 12", 1)
        .replacen(&in_90_days.to_string(), "2099-01-31", 1);
    std::fs::write(&path, &edited).unwrap_or_else(|e| panic!("{e}"));
    let out = run_with_baseline(dir, &["--patch-default", "minimal", "--update-baseline"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains(": added 0, kept 4, removed 0"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), edited);
    let report = read_json(&dir.join("reports").join("report.json"));
    let waiver = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == MINIMAL_FAILURES[0])
        .map(|c| c["waiver"].clone());
    assert_eq!(waiver, Some(Value::from("vendor bug 12")));
}

#[test]
fn prune_baseline_drops_only_entries_the_run_judged_stale() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path();
    let out = run_with_baseline(dir, &["--patch-default", "minimal", "--update-baseline"]);
    assert_eq!(out.status.code(), Some(0));
    // With 200 answered again the host case passes; a run of it alone prunes its entry and
    // keeps the entries of the cases it did not run.
    let out = run_with_baseline(dir, &["--filter", "hostsecurity", "--prune-baseline"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "removed `003_e135c242e05b0c0b.update_hostsecurityprofile`: the case passes now"
        ),
        "{err}"
    );
    assert!(err.contains(": added 0, kept 3, removed 1"), "{err}");
    let left: Vec<&str> = MINIMAL_FAILURES
        .iter()
        .copied()
        .filter(|c| !c.contains("hostsecurity"))
        .collect();
    assert_eq!(listed(dir), left);
    // The whole run prunes the rest and, updating too, takes in the case that fails now.
    let out = run_with_baseline(dir, &["--prune-baseline", "--update-baseline"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(": added 1, kept 0, removed 3"), "{err}");
    assert_eq!(
        listed(dir),
        ["000_6e3310d0f32980d1.update_usersecurityprofile"]
    );
}

#[test]
fn update_baseline_does_not_renew_an_expired_entry() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path();
    let expired = r#"{"known_failures": [{"case": "002_c43a6d57415b08ee.update_security", "reason": "accepted until 2000", "checks": ["status"], "status": 204, "expires": "2000-01-31"}]}"#;
    std::fs::write(dir.join("b.json"), expired).unwrap_or_else(|e| panic!("{e}"));
    let out = run_with_baseline(dir, &["--patch-default", "minimal", "--update-baseline"]);
    let (stdout, err) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(
        err.contains("expired `002_c43a6d57415b08ee.update_security`: expired on 2000-01-31; kept as it was, not renewed"),
        "{err}"
    );
    assert!(err.contains(": added 3, kept 1, removed 0"), "{err}");
    assert!(stdout.contains("EXPIRED baseline entry `002_c43a6d57415b08ee.update_security`"));
    assert!(
        stdout.contains("FAILED  002_c43a6d57415b08ee.update_security"),
        "{stdout}"
    );
    let file = read_json(&dir.join("b.json"));
    assert_eq!(file["known_failures"][1]["expires"], "2000-01-31");
    assert_eq!(file["known_failures"][1]["reason"], "accepted until 2000");
}

#[test]
fn a_target_that_answers_nothing_stops_the_run_with_one_error_and_reports_saying_so() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let target = format!("http://127.0.0.1:{port}/beta");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let reports = tmp.path().to_string_lossy().into_owned();
    // An earlier run's reports, which must not be left to be taken for this run's.
    for file in ["report.json", "junit.xml"] {
        std::fs::write(tmp.path().join(file), "an earlier run's").unwrap_or_else(|e| panic!("{e}"));
    }
    let mut args = vec!["run", "--target", &target, "--report-dir", &reports];
    args.extend_from_slice(&SEED_PARAMS);
    let out = conform(&args, &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let want = format!(
        "conform: error: target {target} did not answer the first 5 cases (Connection refused"
    );
    assert_eq!(err.matches(&want).count(), 1, "{err}");
    assert!(
        err.contains("is it running? --keep-going runs every case anyway"),
        "{err}"
    );
    assert_eq!(err.matches("conform: error:").count(), 1, "{err}");
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    // The reports are this run's: every case errored, those that ran unanswered, the others
    // not run because the run stopped.
    let report = read_json(&tmp.path().join("report.json"));
    assert_eq!(report["summary"]["errored"], 6, "{report}");
    assert_eq!(report["gate"]["passed"], false, "{report}");
    let messages: Vec<&str> = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["checks"][0]["message"].as_str())
        .collect();
    assert_eq!(messages.len(), 6, "{report}");
    let refused = messages
        .iter()
        .filter(|m| m.starts_with("connection failed") && m.contains("Connection refused"))
        .count();
    assert!(refused >= 5, "{messages:#?}");
    assert!(
        messages.iter().all(|m| m.starts_with("connection failed")
            || m.starts_with(
                "not run: the run stopped, as the target answered none of the first 5 cases"
            )),
        "{messages:#?}"
    );
    let junit = std::fs::read_to_string(tmp.path().join("junit.xml")).unwrap_or_default();
    assert!(
        junit.contains("<testsuite") && junit.contains("errors=\"6\""),
        "{junit}"
    );
    args.push("--keep-going");
    let out = conform(&args, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = read_json(&tmp.path().join("report.json"));
    assert_eq!(report["summary"]["errored"], 6, "{report}");
}

#[test]
fn progress_is_plain_lines_on_a_log_and_nothing_with_quiet() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let reports = tmp.path().to_string_lossy().into_owned();
    let out = conform(&["run", "--report-dir", &reports], &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    // The waived case is not counted as failed.
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("progress: 6/6 cases, 0 failed, ")),
        "{err}"
    );
    for bar in ['\u{1b}', '\r', '█', '░', '━'] {
        assert!(!err.contains(bar), "{bar:?} in {err:?}");
    }
    for f in ["report.json", "junit.xml"] {
        let report = std::fs::read_to_string(tmp.path().join(f)).unwrap_or_default();
        assert!(!report.contains("progress"), "{f}");
    }
    let out = conform(&["run", "--report-dir", &reports, "--quiet"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !text(&out.stderr).contains("progress"),
        "{}",
        text(&out.stderr)
    );
}
