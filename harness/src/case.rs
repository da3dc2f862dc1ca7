//! The case model: one documented request/response pair, as stored in `cases/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Errors reading or writing case files.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// A case file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A case file is not a valid case.
    #[error("{path}:{line}:{column}: not a valid case: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What serde said.
        message: String,
    },
    /// A case file parses but cannot be replayed as written.
    #[error("{path}: case `{id}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The case id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// Two case files carry the same id.
    #[error("{path}: case id `{id}` is already used by {other}")]
    DuplicateId {
        /// The later file.
        path: PathBuf,
        /// The repeated id.
        id: String,
        /// The earlier file.
        other: PathBuf,
    },
}

/// Where a case or diagnostic comes from in the docs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Source {
    /// Page path relative to the DOCS argument it was found under, with `/` separators.
    pub file: String,
    /// 1-based line of the request block's opening fence.
    pub line: usize,
}

/// One HTTP header as documented (order and repetition preserved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Header name as written in the doc.
    pub name: String,
    /// Header value as written in the doc.
    pub value: String,
}

/// A message body as documented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// A JSON body, parsed.
    Json(Value),
    /// Any other body, verbatim.
    Text(String),
}

/// The documented request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// HTTP method, upper case.
    pub method: String,
    /// Path relative to the version root, starting with `/`, with `{name}` parameters; may carry a query.
    pub path: String,
    /// Names of the path parameters, in order of appearance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// Host of the documented URL when it is not the service (upload and download URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Documented headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// Documented body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// 1-based line of the request block's opening fence.
    pub line: usize,
    /// The block's annotation, every key kept.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub annotation: Map<String, Value>,
}

/// The documented response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Documented status code.
    pub status: u16,
    /// Documented reason phrase, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Documented headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// Documented body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Full name of the response's type (no `#`), from the annotation or the example body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Whether the body is a collection of that type.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_collection: bool,
    /// Whether the doc marks the example as shortened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// 1-based line of the response block's opening fence.
    pub line: usize,
    /// The block's annotation, every key kept.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub annotation: Map<String, Value>,
}

/// One declarative conformance case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Stable, unique id: page path without extension (`/` as `.`), the example name, and `-N` for repeats.
    pub id: String,
    /// The example name from the request annotation.
    pub name: String,
    /// Where the request was documented.
    pub source: Source,
    /// API version segment of the documented URL (`beta`, `v1.0`), when the URL names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The request to send.
    pub request: Request,
    /// The documented answer.
    pub response: Response,
}

impl Case {
    /// The file name this case is stored under.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.id)
    }

    /// The first request header with this name (case-insensitive).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        find_header(&self.request.headers, name)
    }

    /// The first documented response header with this name (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        find_header(&self.response.headers, name)
    }

    /// Serializes the case as it is stored: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // A Case holds only strings, numbers and JSON values, so serialization cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The type of a case's request body: the `@odata.type` it names, else, for an update (PATCH,
/// PUT) or a create (POST answered 201), the response's type. An action's body is its
/// parameters, not the resource, so it gets no type.
pub fn request_type(case: &Case) -> Option<String> {
    let Some(Body::Json(Value::Object(m))) = &case.request.body else {
        return None;
    };
    if let Some(t) = m.get("@odata.type").and_then(Value::as_str) {
        return Some(t.trim_start_matches('#').to_string());
    }
    let writes_resource = matches!(case.request.method.as_str(), "PATCH" | "PUT")
        || (case.request.method == "POST" && case.response.status == 201);
    writes_resource
        .then(|| case.response.odata_type.clone())
        .flatten()
}

/// The first header with this name (case-insensitive).
pub fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Reads every `*.json` case under a folder, sorted by id; ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let files = crate::files::json_files(dir).map_err(|source| CaseError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut cases: Vec<(Case, PathBuf)> = Vec::with_capacity(files.len());
    for path in files {
        let case = load_file(&path)?;
        cases.push((case, path));
    }
    cases.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for pair in cases.windows(2) {
        if pair[0].0.id == pair[1].0.id {
            return Err(CaseError::DuplicateId {
                path: pair[1].1.clone(),
                id: pair[1].0.id.clone(),
                other: pair[0].1.clone(),
            });
        }
    }
    Ok(cases.into_iter().map(|(c, _)| c).collect())
}

/// Reads one case file.
pub fn load_file(path: &Path) -> Result<Case, CaseError> {
    let text = std::fs::read_to_string(path).map_err(|source| CaseError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let case: Case = serde_json::from_str(&text).map_err(|e| CaseError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if let Err(message) = check_request_path(&case.request.path) {
        return Err(CaseError::Invalid {
            path: path.to_path_buf(),
            id: case.id,
            message,
        });
    }
    Ok(case)
}

/// A request path is relative to the target's root: it starts with `/`, so that appended to
/// the target it cannot name another origin (`@host:port/x` after the base would turn the
/// target's host into userinfo and make a new host). So the token only ever goes to the
/// target's origin.
pub fn check_request_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "request path `{path}` does not start with `/`; paths are relative to the target's root"
        ));
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Err(format!(
            "request path `{}` holds a control character or a backslash",
            path.escape_debug()
        ));
    }
    Ok(())
}
