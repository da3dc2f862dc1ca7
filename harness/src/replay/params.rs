//! Path parameters at scale: values from the target (the embedded mock names what it seeded),
//! the command line and a parameters file, each case's values resolved before anything is
//! sent, and every missing one reported at once.
//!
//! A parameters file is TOML:
//!
//! ```toml
//! [params]                            # for every case with a parameter of that name
//! user-id = "48d31887-5fad-4d73-a9f5-3c356e68a038"
//!
//! [paths."/users/{id}/events/{event-id}"]  # for the cases with this path template
//! event-id = "AAMkAGI1AAAt9AHjAAA="
//!
//! [cases."api.user-get.get_user"]     # for one case
//! id = "adele@contoso.com"
//!
//! [[setup]]                           # run once before the cases, in order
//! method = "POST"
//! path = "/groups"
//! body = { displayName = "conform", mailEnabled = false, mailNickname = "conform", securityEnabled = true }
//! capture = { group-id = "$.id" }     # JSONPath into the answer; a global value from then on
//!
//! [[teardown]]                        # run once after the cases, captured values filled in
//! method = "DELETE"
//! path = "/groups/{group-id}"
//! ```
//!
//! The most specific value wins: a case's own, then its path template's, then a global one
//! (`--param` over `[params]`, a captured value over both), then the target's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::model::case::{Case, Method};

/// Why a parameters file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a parameters file.
    #[error("{path}: not a valid parameters file: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML reader said, with the line.
        message: String,
    },
    /// A capture is not a JSONPath.
    #[error("{path}: setup step {step}: `{capture}` is not a JSONPath: {message}")]
    Capture {
        /// The file.
        path: PathBuf,
        /// 1-based number of the step.
        step: usize,
        /// The capture as written.
        capture: String,
        /// What the JSONPath parser said.
        message: String,
    },
}

/// One request of a `[[setup]]` or `[[teardown]]` list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step is for, in words.
    #[serde(default)]
    pub name: Option<String>,
    /// The method.
    pub method: Method,
    /// The path, relative to the target's root; `{name}` is filled from the values known.
    pub path: String,
    /// Headers to send.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body, written as TOML.
    #[serde(default)]
    pub body: Option<Value>,
    /// Values to take from the JSON answer: name = JSONPath (`$.id`, `$.value[0].id`).
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

impl Step {
    /// How the step is named in messages.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method, self.path))
    }
}

/// A parameters file (`--params FILE`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsFile {
    /// Values by parameter name, for every case.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Values by path template (as the case files write it), then by name.
    #[serde(default)]
    pub paths: BTreeMap<String, BTreeMap<String, String>>,
    /// Values by case id, then by name.
    #[serde(default)]
    pub cases: BTreeMap<String, BTreeMap<String, String>>,
    /// Requests run once before the cases.
    #[serde(default)]
    pub setup: Vec<Step>,
    /// Requests run once after the cases.
    #[serde(default)]
    pub teardown: Vec<Step>,
}

impl ParamsFile {
    /// Reads a parameters file.
    pub fn load(path: &Path) -> Result<ParamsFile, ParamsError> {
        ParamsFile::parse(&ParamsFile::read(path)?, path)
    }

    /// Reads a parameters file's text, to be parsed later ([`ParamsFile::parse`]).
    pub fn read(path: &Path) -> Result<String, ParamsError> {
        std::fs::read_to_string(path).map_err(|source| ParamsError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a parameters file from text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ParamsFile, ParamsError> {
        let file: ParamsFile = toml::from_str(text).map_err(|e| ParamsError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        for (i, step) in file.setup.iter().chain(&file.teardown).enumerate() {
            for capture in step.capture.values() {
                serde_json_path::JsonPath::parse(capture).map_err(|e| ParamsError::Capture {
                    path: path.to_path_buf(),
                    step: i + 1,
                    capture: capture.clone(),
                    message: e.to_string(),
                })?;
            }
        }
        Ok(file)
    }
}

/// Every source of parameter values of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamSources {
    /// `--param NAME=VALUE` values.
    pub cli: BTreeMap<String, String>,
    /// The parameters file, if any.
    pub file: ParamsFile,
    /// Values captured by setup steps.
    pub captured: BTreeMap<String, String>,
}

/// Parameters that have no value, all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", missing_text(.0))]
pub struct MissingParams(pub BTreeMap<String, Vec<String>>);

/// How many case ids a missing parameter's line names.
const NAMED_CASES: usize = 3;

fn missing_text(missing: &BTreeMap<String, Vec<String>>) -> String {
    let cases: BTreeSet<&String> = missing.values().flatten().collect();
    let mut out = format!(
        "{} path parameter{} no value, in {} case{}:",
        missing.len(),
        if missing.len() == 1 { " has" } else { "s have" },
        cases.len(),
        if cases.len() == 1 { "" } else { "s" }
    );
    for (name, ids) in missing {
        let shown: Vec<&str> = ids.iter().take(NAMED_CASES).map(String::as_str).collect();
        let more = ids.len().saturating_sub(NAMED_CASES);
        out.push_str(&format!(
            "\n  `{name}`: {} case{} ({}{})",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        ));
    }
    out.push_str(
        "\ngive them with --param NAME=VALUE, or in a --params file under [params], \
         [paths.\"TEMPLATE\"] or [cases.\"ID\"]",
    );
    out
}

/// The path template as parameters files name it: without its query.
fn template(case: &Case) -> &str {
    case.request.path.split('?').next().unwrap_or_default()
}

/// Parameter values by name, as a request's path is filled from them.
pub trait ParamValues {
    /// The value of the parameter `name`, if there is one.
    fn value(&self, name: &str) -> Option<&str>;
}

impl ParamValues for BTreeMap<String, String> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// One case's parameter values: those its path declares, by name.
///
/// A list, not a map: a case declares one or two, and a `BTreeMap` allocates room for eleven
/// entries at its first (about 540 bytes a case, held for the whole run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseParams(Vec<(String, String)>);

impl CaseParams {
    /// No values.
    pub const NONE: CaseParams = CaseParams(Vec::new());

    /// The value of the parameter `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl ParamValues for CaseParams {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// Each case's values of the parameters it declares, the most specific source winning; every
/// parameter without a value is reported at once. `target` gives the target's own values for
/// a case.
pub fn resolve(
    cases: &[Case],
    sources: &ParamSources,
    target: impl Fn(&Case) -> BTreeMap<String, String>,
) -> Result<HashMap<String, CaseParams>, MissingParams> {
    let mut out = HashMap::new();
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.request.host.is_none()) {
        let own = target(case);
        // The most specific first.
        let layers = [
            sources.file.cases.get(&case.id),
            sources.file.paths.get(template(case)),
            Some(&sources.captured),
            Some(&sources.cli),
            Some(&sources.file.params),
            Some(&own),
        ];
        let mut values = Vec::with_capacity(case.request.params.len());
        for name in &case.request.params {
            match layers.iter().flatten().find_map(|layer| layer.get(name)) {
                Some(value) => values.push((name.clone(), value.clone())),
                None => missing
                    .entry(name.clone())
                    .or_default()
                    .push(case.id.clone()),
            }
        }
        out.insert(case.id.clone(), CaseParams(values));
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(MissingParams(missing))
    }
}

/// Entries of the parameters file that no case uses: each a warning, in words.
pub fn unused(cases: &[Case], file: &ParamsFile) -> Vec<String> {
    let names: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.request.params.iter().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    let teardown_names: BTreeSet<String> = file
        .teardown
        .iter()
        .flat_map(|s| braced_names(&s.path))
        .collect();
    for name in file.params.keys() {
        if !names.contains(name.as_str()) && !teardown_names.contains(name) {
            out.push(format!(
                "[params] `{name}`: no case has a parameter of that name"
            ));
        }
    }
    for (path, values) in &file.paths {
        let with_path: Vec<&Case> = cases.iter().filter(|c| template(c) == path).collect();
        if with_path.is_empty() {
            out.push(format!(
                "[paths.\"{path}\"]: no case has this path template"
            ));
            continue;
        }
        for name in values.keys() {
            if !with_path.iter().any(|c| c.request.params.contains(name)) {
                out.push(format!(
                    "[paths.\"{path}\"] `{name}`: the path has no parameter of that name"
                ));
            }
        }
    }
    // Looked up by id: a file with an entry per case would otherwise cost cases × entries.
    let by_id: std::collections::HashMap<&str, &Case> =
        cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for (id, values) in &file.cases {
        let Some(case) = by_id.get(id.as_str()) else {
            out.push(format!("[cases.\"{id}\"]: no case has this id"));
            continue;
        };
        for name in values.keys() {
            if !case.request.params.contains(name) {
                out.push(format!(
                    "[cases.\"{id}\"] `{name}`: the case has no parameter of that name"
                ));
            }
        }
    }
    out
}

/// The `{name}` parameters a path names.
fn braced_names(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        out.push(rest[open + 1..open + len].to_string());
        rest = &rest[open + len + 1..];
    }
    out
}

/// A step's path with `{name}` filled from `values` (percent-encoded); names without a value
/// are returned as the error.
pub fn fill_step_path(
    path: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, Vec<String>> {
    let mut out = path.to_string();
    let mut missing = Vec::new();
    for name in braced_names(path) {
        match values.get(&name) {
            Some(v) => {
                let encoded = percent_encoding::utf8_percent_encode(v, super::request::PATH_VALUE);
                out = out.replace(&format!("{{{name}}}"), &encoded.to_string());
            }
            None => missing.push(name),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// Takes the captures of a step from its JSON answer: name → the value found (strings as they
/// are, other JSON as text); the captures that found nothing are returned as the error.
pub fn capture(step: &Step, answer: &Value) -> Result<BTreeMap<String, String>, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, expr) in &step.capture {
        let found = serde_json_path::JsonPath::parse(expr)
            .ok()
            .and_then(|p| p.query(answer).first().cloned());
        match found {
            Some(Value::String(s)) => {
                out.insert(name.clone(), s.clone());
            }
            Some(v) if !v.is_null() => {
                out.insert(name.clone(), v.to_string());
            }
            _ => missing.push(format!("{name} = {expr}")),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::{Request, Response, Source};

    fn case(id: &str, path: &str, params: &[&str]) -> Case {
        Case {
            id: id.into(),
            name: "n".into(),
            source: Source {
                file: "p.md".into(),
                line: 1,
            },
            version: None,
            request: Request {
                method: Method::Get,
                path: path.into(),
                params: params.iter().map(|p| p.to_string()).collect(),
                host: None,
                headers: Vec::new(),
                body: None,
                line: 1,
                annotation: Default::default(),
            },
            response: Response {
                status: 200,
                reason: None,
                headers: Vec::new(),
                body: None,
                odata_type: None,
                is_collection: false,
                truncated: false,
                line: 2,
                annotation: Default::default(),
            },
        }
    }

    const FILE: &str = r#"
[params]
id = "global"
user-id = "u-global"

[paths."/users/{id}/events/{event-id}"]
event-id = "e-path"

[cases."b.events"]
id = "u-case"

[[setup]]
method = "POST"
path = "/groups"
body = { displayName = "conform", securityEnabled = true }
capture = { group-id = "$.id", first = "$.value[0].name" }

[[teardown]]
method = "DELETE"
path = "/groups/{group-id}"
"#;

    fn file() -> ParamsFile {
        ParamsFile::parse(FILE, Path::new("params.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_most_specific_value_wins() {
        let cases = vec![
            case("a.user", "/users/{id}", &["id"]),
            case(
                "b.events",
                "/users/{id}/events/{event-id}",
                &["id", "event-id"],
            ),
            case(
                "c.events",
                "/users/{id}/events/{event-id}",
                &["id", "event-id"],
            ),
            case("d.thing", "/things/{thing-id}", &["thing-id"]),
        ];
        let mut sources = ParamSources {
            file: file(),
            ..ParamSources::default()
        };
        sources.cli.insert("event-id".into(), "e-cli".into());
        let target = |_: &Case| {
            BTreeMap::from([
                ("id".to_string(), "mock".to_string()),
                ("thing-id".to_string(), "t-mock".to_string()),
            ])
        };
        let values = resolve(&cases, &sources, target).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(values["a.user"].get("id"), Some("global"));
        assert_eq!(values["b.events"].get("id"), Some("u-case"));
        assert_eq!(values["b.events"].get("event-id"), Some("e-path"));
        assert_eq!(values["c.events"].get("id"), Some("global"));
        // Only the parameters a case declares are kept.
        assert_eq!(values["a.user"].get("event-id"), None);
        // The target's value when no other source has one.
        assert_eq!(values["d.thing"].get("thing-id"), Some("t-mock"));
        // The file's body is JSON for the request.
        assert_eq!(
            sources.file.setup[0].body,
            Some(serde_json::json!({"displayName": "conform", "securityEnabled": true}))
        );
    }

    #[test]
    fn every_missing_parameter_is_reported_at_once() {
        let cases: Vec<Case> = (0..5)
            .map(|i| {
                case(
                    &format!("p.c{i}"),
                    "/things/{thing-id}/parts/{part}",
                    &["thing-id", "part"],
                )
            })
            .chain([case("q.one", "/users/{user-id}", &["user-id"])])
            .collect();
        let missing = |cases: &[Case]| {
            resolve(cases, &ParamSources::default(), |_| BTreeMap::new())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let err = missing(&cases);
        assert!(
            err.starts_with("3 path parameters have no value, in 6 cases:"),
            "{err}"
        );
        assert!(
            err.contains("`part`: 5 cases (p.c0, p.c1, p.c2, and 2 more)"),
            "{err}"
        );
        assert!(err.contains("`user-id`: 1 case (q.one)"), "{err}");
        let one = missing(&cases[5..]);
        assert!(
            one.starts_with("1 path parameter has no value, in 1 case:"),
            "{one}"
        );
    }

    #[test]
    fn unused_entries_are_named() {
        let cases = vec![case("a.user", "/users/{id}", &["id"])];
        let warnings = unused(&cases, &file());
        assert_eq!(
            warnings,
            vec![
                "[params] `user-id`: no case has a parameter of that name",
                "[paths.\"/users/{id}/events/{event-id}\"]: no case has this path template",
                "[cases.\"b.events\"]: no case has this id",
            ]
        );
    }

    #[test]
    fn captures_and_filled_paths() {
        let f = file();
        let answer = serde_json::json!({"id": "g1", "value": [{"name": "x"}]});
        let got = capture(&f.setup[0], &answer).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(got["group-id"], "g1");
        assert_eq!(got["first"], "x");
        assert_eq!(
            capture(&f.setup[0], &serde_json::json!({})).err(),
            Some(vec![
                "first = $.value[0].name".to_string(),
                "group-id = $.id".to_string()
            ])
        );
        assert_eq!(
            fill_step_path("/groups/{group-id}", &got),
            Ok("/groups/g1".to_string())
        );
        assert_eq!(
            fill_step_path("/groups/{nope}", &got),
            Err(vec!["nope".to_string()])
        );
    }

    #[test]
    fn bad_files_say_where() {
        let bad = [
            (
                "[params]\nid = 1\n",
                "params.toml: not a valid parameters file",
            ),
            ("[unknown]\n", "unknown field"),
            (
                "[[setup]]\nmethod = \"POST\"\npath = \"/x\"\ncapture = { a = \"id\" }\n",
                "is not a JSONPath",
            ),
            (
                "[[setup]]\nmethod = \"FETCH\"\npath = \"/x\"\n",
                "unknown variant",
            ),
        ];
        for (text, want) in bad {
            let err = ParamsFile::parse(text, Path::new("params.toml"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
