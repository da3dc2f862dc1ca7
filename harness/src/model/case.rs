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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// A JSON body, parsed.
    Json(Value),
    /// Any other body, verbatim.
    Text(String),
}

impl<'de> Deserialize<'de> for Body {
    /// Reads `{"json": …}` or `{"text": …}`, the JSON built as [`crate::strict_json::value`]
    /// builds it (each object's map made once, at its size).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Body, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Stored {
            Json(crate::strict_json::Built),
            Text(String),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Json(json) => Body::Json(json.0),
            Stored::Text(text) => Body::Text(text),
        })
    }
}

/// An HTTP method the docs document and the runner replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// HEAD.
    Head,
    /// OPTIONS.
    Options,
}

impl Method {
    /// Every method, in the order the docs list them most.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Post,
        Method::Patch,
        Method::Put,
        Method::Delete,
        Method::Head,
        Method::Options,
    ];

    /// The method as written on the wire (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// The method a word names, in any letter case.
    pub fn parse(word: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(word))
    }

    /// The same method for the HTTP stack.
    pub fn to_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
            Method::Head => http::Method::HEAD,
            Method::Options => http::Method::OPTIONS,
        }
    }

    /// Whether the method updates a resource in place (PATCH merges, PUT replaces).
    pub fn is_update(self) -> bool {
        matches!(self, Method::Patch | Method::Put)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The documented request, with its body as [`Body`].
pub type Request = RequestOf<Body>;

/// The documented request, its body read as `B` (a [`Body`], or less: see [`load_file_as`]) and
/// its annotation as `A` (kept, or skipped by a run: see [`AnnotationField`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "B: Serialize, A: Serialize + AnnotationField",
    deserialize = "B: Deserialize<'de>, A: Deserialize<'de> + AnnotationField"
))]
pub struct RequestOf<B, A = Annotation> {
    /// HTTP method.
    pub method: Method,
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
    pub body: Option<B>,
    /// 1-based line of the request block's opening fence.
    pub line: usize,
    /// The block's annotation, every key kept.
    #[serde(default, skip_serializing_if = "AnnotationField::is_empty")]
    pub annotation: A,
}

/// The documented response, with its body as [`Body`].
pub type Response = ResponseOf<Body>;

/// The documented response, its body read as `B` (a [`Body`], or less: see [`load_file_as`])
/// and its annotation as `A` (see [`AnnotationField`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "B: Serialize, A: Serialize + AnnotationField",
    deserialize = "B: Deserialize<'de>, A: Deserialize<'de> + AnnotationField"
))]
pub struct ResponseOf<B, A = Annotation> {
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
    pub body: Option<B>,
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
    #[serde(default, skip_serializing_if = "AnnotationField::is_empty")]
    pub annotation: A,
}

/// One declarative conformance case.
pub type Case = CaseOf<Body, Body>;

/// A case whose request body is read as `Q`, response body as `R` and annotations as `A` (see
/// [`load_file_as`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "Q: Serialize, R: Serialize, A: Serialize + AnnotationField",
    deserialize = "Q: Deserialize<'de>, R: Deserialize<'de>, A: Deserialize<'de> + AnnotationField"
))]
pub struct CaseOf<Q, R, A = Annotation> {
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
    pub request: RequestOf<Q, A>,
    /// The documented answer.
    pub response: ResponseOf<R, A>,
}

/// A code block's annotation (`<!-- { "blockType": "request", … } -->`), every key kept.
pub type Annotation = Map<String, Value>;

/// How a case file's annotations are read: kept as an [`Annotation`], or skipped as
/// [`Unread`] by a run, which never looks at them (two small maps per case, hashed key by key
/// and held for the whole run: about 600 bytes of the 6 to 8 KiB a run keeps per case).
pub trait AnnotationField: Default {
    /// Whether there is nothing to write.
    fn is_empty(&self) -> bool;
    /// The annotation as a case holds it (empty when it was skipped).
    fn into_annotation(self) -> Annotation;
}

impl AnnotationField for Annotation {
    fn is_empty(&self) -> bool {
        Map::is_empty(self)
    }
    fn into_annotation(self) -> Annotation {
        self
    }
}

/// An annotation skipped as its case file is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unread;

impl AnnotationField for Unread {
    fn is_empty(&self) -> bool {
        true
    }
    fn into_annotation(self) -> Annotation {
        Annotation::new()
    }
}

impl<'de> Deserialize<'de> for Unread {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Unread, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Unread)
    }
}

impl Serialize for Unread {
    /// Written as an empty annotation (though `skip_serializing_if` never writes it).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Annotation::new().serialize(s)
    }
}

impl<Q, R, A: AnnotationField> CaseOf<Q, R, A> {
    /// The case without its bodies, and the request and response bodies as they were read.
    pub fn without_bodies(self) -> (Case, Option<Q>, Option<R>) {
        let (request, response) = (self.request, self.response);
        let case = CaseOf {
            id: self.id,
            name: self.name,
            source: self.source,
            version: self.version,
            request: RequestOf {
                method: request.method,
                path: request.path,
                params: request.params,
                host: request.host,
                headers: request.headers,
                body: None,
                line: request.line,
                annotation: request.annotation.into_annotation(),
            },
            response: ResponseOf {
                status: response.status,
                reason: response.reason,
                headers: response.headers,
                body: None,
                odata_type: response.odata_type,
                is_collection: response.is_collection,
                truncated: response.truncated,
                line: response.line,
                annotation: response.annotation.into_annotation(),
            },
        };
        (case, request.body, response.body)
    }
}

impl Case {
    /// The file name this case is stored under (see [`file_name_for`]).
    pub fn file_name(&self) -> String {
        file_name_for(&self.id)
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

/// The longest case file name, in bytes: well under the 255 that file systems allow, so a
/// folder path in front of it or a copy suffix still fits.
pub const MAX_FILE_NAME: usize = 200;

/// The file name a case with this id is stored under: `<id>.json`, or, when that name is too
/// long or one a file system refuses, the id sanitized and shortened, then `~` and the 64-bit
/// FNV-1a hash of the whole id in hex. The hash keeps distinct ids apart and is the same on
/// every run and machine (unlike Rust's randomly seeded default hasher).
pub fn file_name_for(id: &str) -> String {
    let plain = format!("{id}.json");
    if plain.len() <= MAX_FILE_NAME && !unusable_stem(id) {
        return plain;
    }
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, id.as_bytes());
    let suffix = format!("~{:016x}.json", std::hash::Hasher::finish(&hasher));
    // One byte is kept for the `_` that defuses a leading dot or a device name.
    let budget = MAX_FILE_NAME - suffix.len() - 1;
    let mut stem = String::with_capacity(budget + 1);
    for c in id.chars().map(|c| if refused(c) { '_' } else { c }) {
        if stem.len() + c.len_utf8() > budget {
            break;
        }
        stem.push(c);
    }
    if stem.starts_with(['.', ' ']) || is_device_name(&stem) {
        stem.insert(0, '_');
    }
    stem + &suffix
}

/// Whether `<stem>.json` is a name some file system refuses or hides: a refused character, a
/// leading dot or space (hidden, or trimmed by Windows), or a Windows device name.
fn unusable_stem(stem: &str) -> bool {
    stem.is_empty()
        || stem.starts_with(['.', ' '])
        || stem.chars().any(refused)
        || is_device_name(stem)
}

/// Characters no portable file name may hold: path separators, Windows' reserved punctuation,
/// and control characters (NUL included).
fn refused(c: char) -> bool {
    c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
}

/// Whether a name is a Windows device name (`CON`, `nul.x`, `com1.y`): Windows opens the
/// device whatever extension follows.
fn is_device_name(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or("").trim_end_matches(' ');
    let upper = base.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let b = upper.as_bytes();
            b.len() == 4
                && (upper.starts_with("COM") || upper.starts_with("LPT"))
                && (b'1'..=b'9').contains(&b[3])
        }
    }
}

/// The type a JSON object names with `@odata.type`, without the leading `#`.
pub fn named_type(value: &Value) -> Option<&str> {
    crate::json::str_member(value, "@odata.type").map(|t| t.trim_start_matches('#'))
}

/// The type of a case's request body: the `@odata.type` it names, else, for an update (PATCH,
/// PUT) or a create (POST answered 201), the response's type. An action's body is its
/// parameters, not the resource, so it gets no type.
pub fn request_type(case: &Case) -> Option<String> {
    let Some(Body::Json(body @ Value::Object(_))) = &case.request.body else {
        return None;
    };
    if let Some(t) = named_type(body) {
        return Some(t.to_string());
    }
    let writes_resource = case.request.method.is_update()
        || (case.request.method == Method::Post && case.response.status == 201);
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
    Ok(
        load_dir_with(dir, |p| Ok((load_file(p)?, ())), |_, (), _| {})?
            .into_iter()
            .map(|(c, _)| c)
            .collect(),
    )
}

/// How many case files are read in parallel before `each` of [`load_dir_with`] sees them: what
/// a run keeps of a case can be much smaller than the case, so only this many are held whole.
const LOAD_CHUNK: usize = 512;

/// A chunk of case files read by [`load_dir_with`], with what was read of each.
type ReadChunk<'a, T> = (Vec<Result<(Case, T), CaseError>>, &'a [PathBuf]);

/// Reads every `*.json` case under a folder, sorted by id, with the file it came from; ids
/// must be unique. Files are read in parallel, a chunk at a time: `load` reads each file on a
/// worker thread (so what it drops is freed where it was allocated) and returns the case and
/// what `each` needs; `each` then sees the cases in file order, before they are kept, while
/// the next chunk is read. The error is the first one in file order, as a sequential read
/// gives.
pub fn load_dir_with<T: Send>(
    dir: &Path,
    load: impl Fn(&Path) -> Result<(Case, T), CaseError> + Sync,
    mut each: impl FnMut(&Case, T, &Path) + Send,
) -> Result<Vec<(Case, PathBuf)>, CaseError> {
    use rayon::prelude::*;
    let files = crate::files::json_files(dir).map_err(|source| CaseError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut cases: Vec<(Case, PathBuf)> = Vec::with_capacity(files.len());
    // What `each` does is the one serial part of reading a folder: it is done for one chunk
    // while the threads read the next, not with the other threads waiting.
    let mut keep = |loaded: Vec<Result<(Case, T), CaseError>>, chunk: &[PathBuf]| {
        for (loaded, path) in loaded.into_iter().zip(chunk) {
            let (case, extra) = loaded?;
            each(&case, extra, path);
            cases.push((case, path.clone()));
        }
        Ok::<(), CaseError>(())
    };
    let mut before: Option<ReadChunk<'_, T>> = None;
    for chunk in files.chunks(LOAD_CHUNK) {
        let (loaded, kept) = rayon::join(
            || chunk.par_iter().map(|p| load(p)).collect::<Vec<_>>(),
            || match before.take() {
                Some((loaded, chunk)) => keep(loaded, chunk),
                None => Ok(()),
            },
        );
        kept?;
        before = Some((loaded, chunk));
    }
    if let Some((loaded, chunk)) = before {
        keep(loaded, chunk)?;
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
    Ok(cases)
}

/// Where the cases of a run loaded lean ([`CaseFiles::load_lean`]) are made whole when they
/// run. Each keeps its request body as the text of its file (a run sends it, so it would be
/// read again anyway), and its documented response body stays on disk, read again only when a
/// check needs it: a run of many cases holds each case's request line, headers and request
/// text, not its parsed bodies, and opens no case file twice for a case the checks pass.
///
/// Keyed with foldhash rather than SipHash: each case loaded is noted on the one thread that
/// collects the loading threads' work, and the keys are the user's own case ids.
#[derive(Debug, Clone, Default)]
pub struct CaseFiles(std::collections::HashMap<String, LeftCase, foldhash::fast::RandomState>);

/// What a lean load keeps of a case's bodies (see [`CaseFiles`]).
#[derive(Debug, Clone)]
pub struct LeftCase {
    /// The case file.
    path: PathBuf,
    /// The request body, as the text of the file.
    request_body: Option<DeferredBody>,
    /// Whether the documented response has a body left in the file, and whether it is JSON.
    response_body: Option<BodyKind>,
}

/// Whether a body is JSON or text, without the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// `{"json": …}`.
    Json,
    /// `{"text": …}`.
    Text,
}

/// A case file read lean ([`CaseFiles::load_lean`]).
#[derive(Debug)]
pub struct Lean<R> {
    /// The case, without its bodies or annotations.
    pub case: Case,
    /// The documented response body read as `R`, when it is JSON.
    pub response: Option<R>,
    /// What the run keeps of the bodies ([`CaseFiles::note`]).
    pub left: LeftCase,
}

/// A case file's body as a lean load reads it: a JSON body as `R`, a text body skipped.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum LeanBody<R> {
    Json(R),
    Text(serde::de::IgnoredAny),
}

impl CaseFiles {
    /// Reads a case file lean, for a run that makes it whole when it runs
    /// ([`CaseFiles::whole`]): the request body is kept as its text, the documented response
    /// body is read as `R` when it is JSON (the little a run keeps of it: its JSON value is
    /// handed to `R`) and never built, and the annotations, which a run never reads, are
    /// skipped ([`Unread`]).
    pub fn load_lean<R: serde::de::DeserializeOwned>(path: &Path) -> Result<Lean<R>, CaseError> {
        let (mut case, request_body, response) =
            load_file_as::<DeferredBody, LeanBody<R>, Unread>(path)?.without_bodies();
        // A run holds every case's lists, without the spare room serde leaves as a list grows
        // (room for four headers where there are one or two: about 400 bytes a case).
        case.request.params.shrink_to_fit();
        case.request.headers.shrink_to_fit();
        case.response.headers.shrink_to_fit();
        let (kind, response) = match response {
            None => (None, None),
            Some(LeanBody::Json(r)) => (Some(BodyKind::Json), Some(r)),
            Some(LeanBody::Text(_)) => (Some(BodyKind::Text), None),
        };
        Ok(Lean {
            case,
            response,
            left: LeftCase {
                path: path.to_path_buf(),
                request_body,
                response_body: kind,
            },
        })
    }

    /// Notes what a lean load kept of a case, to make it whole when it runs.
    pub fn note(&mut self, case: &Case, left: LeftCase) {
        self.0.insert(case.id.clone(), left);
    }

    /// The case whole, with the request body it was loaded with and its documented response
    /// body left in its file ([`Whole::response_body`]), when it was loaded lean; `None` when
    /// the case in hand is whole. A request body that no longer builds is an error.
    pub fn whole<'a>(&'a self, case: &'a Case) -> Result<Option<Whole<'a>>, CaseError> {
        let Some(left) = self.0.get(&case.id) else {
            return Ok(None);
        };
        let mut whole = case.clone();
        whole.request.body = left
            .request_body
            .as_ref()
            .map(DeferredBody::read)
            .transpose()
            .map_err(|e| CaseError::Invalid {
                path: left.path.clone(),
                id: case.id.clone(),
                message: format!("its request body does not build: {e}"),
            })?;
        Ok(Some(Whole {
            case: whole,
            response_body: left.response_body.map(|kind| LeftBody {
                path: &left.path,
                id: &case.id,
                json: kind == BodyKind::Json,
            }),
        }))
    }
}

/// A case made whole for its run ([`CaseFiles::whole`]).
#[derive(Debug, Clone)]
pub struct Whole<'a> {
    /// The case with its request body; its response body is [`Whole::response_body`].
    pub case: Case,
    /// The documented response body, still in the case file.
    pub response_body: Option<LeftBody<'a>>,
}

impl Whole<'_> {
    /// The case with its response body read from its file.
    pub fn into_case(self) -> Result<Case, CaseError> {
        let mut case = self.case;
        case.response.body = self.response_body.map(|b| b.read()).transpose()?;
        Ok(case)
    }
}

/// A documented response body left in its case file, read when something needs it: the
/// checks of a passing case with a shortened example never do, and reading and building it
/// was about a fifth of the cost of running such a case.
#[derive(Debug, Clone, Copy)]
pub struct LeftBody<'a> {
    /// The case file.
    path: &'a Path,
    /// The case's id, which the file must still hold.
    id: &'a str,
    /// Whether the body is JSON.
    json: bool,
}

impl LeftBody<'_> {
    /// Whether the body is JSON, without reading it.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The body, read from the case file. An error, naming the file, when the file is gone,
    /// no longer holds the case or this body (it changed during the run), or its JSON does
    /// not build (a number out of range).
    pub fn read(&self) -> Result<Body, CaseError> {
        let file: ResponseBodyOnly = read_json(self.path)?;
        let changed = |what: String| CaseError::Invalid {
            path: self.path.to_path_buf(),
            id: self.id.to_string(),
            message: format!("{what}: the file changed during the run"),
        };
        if file.id != self.id {
            return Err(changed(format!("the file now holds case `{}`", file.id)));
        }
        match file.response.body {
            Some(body) if matches!(body, Body::Json(_)) == self.json => Ok(body),
            Some(_) => Err(changed("the documented response body changed kind".into())),
            None => Err(changed("the documented response body is gone".into())),
        }
    }
}

/// A body kept as the text of its case file until it is needed as a value.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferredBody {
    /// A JSON body: its text, checked as JSON when it was read.
    Json(Box<serde_json::value::RawValue>),
    /// Any other body, verbatim.
    Text(String),
}

impl DeferredBody {
    /// The body built. Its text was checked as JSON when it was read; only a number out of
    /// range or nesting too deep for a value fails here.
    pub fn read(&self) -> Result<Body, serde_json::Error> {
        Ok(match self {
            DeferredBody::Json(raw) => Body::Json(crate::strict_json::from_str(raw.get())?),
            DeferredBody::Text(text) => Body::Text(text.clone()),
        })
    }
}

/// What [`LeftBody::read`] reads of a case file: the id, to see that the file still holds the
/// case, and the response body; every other field is skipped as it is parsed.
#[derive(Deserialize)]
struct ResponseBodyOnly {
    id: String,
    response: ResponseBodyPart,
}

/// The body of a case file's response.
#[derive(Deserialize)]
struct ResponseBodyPart {
    #[serde(default)]
    body: Option<Body>,
}

/// The few fields of a case file that decide which other cases one case needs.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseHead {
    /// The case id.
    pub id: String,
    /// The request's method, path template and headers.
    pub request: HeadRequest,
    /// The documented status.
    pub response: HeadResponse,
}

/// The request part of a [`CaseHead`].
#[derive(Debug, Clone, Deserialize)]
pub struct HeadRequest {
    /// HTTP method.
    pub method: Method,
    /// Path template.
    pub path: String,
    /// Documented headers.
    #[serde(default)]
    pub headers: Vec<Header>,
}

/// The response part of a [`CaseHead`].
#[derive(Debug, Clone, Deserialize)]
pub struct HeadResponse {
    /// Documented status.
    pub status: u16,
}

/// What one case's run needs of a cases folder.
#[derive(Debug, Clone)]
pub struct Focused {
    /// The case and the cases on its resource shape, in full, sorted by id.
    pub cases: Vec<Case>,
    /// The heads of all the cases, for what is decided over all of them.
    pub heads: Vec<CaseHead>,
}

/// Reads the cases a run of one case needs, without reading every case in full: every file's
/// [`CaseHead`] is read, then in full only the case `id` and the cases on the same resource
/// shape (whose examples seed the mock and whose GETs read writes back). `Ok(None)` when no
/// case has the id.
pub fn load_dir_for(dir: &Path, id: &str) -> Result<Option<Focused>, CaseError> {
    let files = crate::files::json_files(dir).map_err(|source| CaseError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut heads = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| CaseError::Io {
            path: path.clone(),
            source,
        })?;
        let head: CaseHead = serde_json::from_str(&text).map_err(|e| CaseError::Parse {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        heads.push((head, path));
    }
    let Some(shape) = heads
        .iter()
        .find(|(h, _)| h.id == id)
        .map(|(h, _)| crate::http::ResourcePath::parse(&h.request.path).shape())
    else {
        return Ok(None);
    };
    let mut cases = Vec::new();
    for (head, path) in &heads {
        if crate::http::ResourcePath::parse(&head.request.path).shape() == shape {
            cases.push(load_file(path)?);
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Some(Focused {
        cases,
        heads: heads.into_iter().map(|(h, _)| h).collect(),
    }))
}

/// Reads one case file.
pub fn load_file(path: &Path) -> Result<Case, CaseError> {
    load_file_as(path)
}

/// Reads one case file, its bodies read as `Q` and `R` and its annotations as `A`: a run that
/// leaves bodies on disk reads them as [`serde::de::IgnoredAny`] or as the little it needs of
/// them, not as JSON values, and skips the annotations.
pub fn load_file_as<Q, R, A>(path: &Path) -> Result<CaseOf<Q, R, A>, CaseError>
where
    Q: serde::de::DeserializeOwned,
    R: serde::de::DeserializeOwned,
    A: serde::de::DeserializeOwned + AnnotationField,
{
    let case: CaseOf<Q, R, A> = read_json(path)?;
    if let Err(message) = check_request_path(&case.request.path) {
        return Err(CaseError::Invalid {
            path: path.to_path_buf(),
            id: case.id,
            message,
        });
    }
    Ok(case)
}

/// The largest buffer a thread keeps for reading case files between files (1 MiB).
const KEPT_TEXT: usize = 1 << 20;

thread_local! {
    /// The text of the case file being read, in a buffer the thread keeps between files.
    static TEXT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a case file as `T`.
///
/// A run reads every case file twice (its head when the run starts, its bodies when it runs):
/// the text goes into a buffer the thread keeps, instead of a new string sized by asking the
/// file system for the file's size first (an allocation and a `statx` per read, about 1.2 µs
/// each time on a case of 3 KiB).
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CaseError> {
    use std::io::Read;
    let io = |source| CaseError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = TEXT.with(|t| std::mem::take(&mut *t.borrow_mut()));
    text.clear();
    let read = std::fs::File::open(path)
        // `Read::read_to_end` through `Take`: `File`'s own asks for the size first.
        .and_then(|file| file.take(u64::MAX).read_to_end(&mut text))
        .map_err(io);
    let parsed = read.and_then(|_| {
        let text = std::str::from_utf8(&text).map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })?;
        serde_json::from_str(text).map_err(|e| CaseError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    });
    if text.capacity() <= KEPT_TEXT {
        TEXT.with(|t| *t.borrow_mut() = text);
    }
    parsed
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: &str) -> Case {
        let value = serde_json::json!({
            "id": id,
            "name": "n",
            "source": { "file": "p.md", "line": 1 },
            "request": { "method": "GET", "path": "/x", "line": 1 },
            "response": { "status": 200, "line": 2 }
        });
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn name(id: &str) -> String {
        with_id(id).file_name()
    }

    #[test]
    fn case_files_are_read_through_the_thread_s_buffer_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let mut big = with_id("big");
        big.request.body = Some(Body::Text("x".repeat(KEPT_TEXT + 10)));
        let big_file = dir.path().join("big.json");
        std::fs::write(&big_file, big.to_json()).unwrap();
        let small_file = dir.path().join("small.json");
        std::fs::write(&small_file, with_id("s").to_json()).unwrap();
        // Larger than the buffer kept, then smaller than the text before it.
        assert_eq!(load_file(&big_file).unwrap(), big);
        assert_eq!(load_file(&small_file).unwrap(), with_id("s"));
        assert_eq!(load_file(&big_file).unwrap(), big);
        assert_eq!(load_file(&small_file).unwrap(), with_id("s"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, b"{\"id\": \"\xff\"}").unwrap();
        let err = load_file(&bad).unwrap_err().to_string();
        assert!(
            err.contains("bad.json") && err.contains("valid UTF-8"),
            "{err}"
        );
        let err = load_file(&dir.path().join("gone.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("gone.json"), "{err}");
        // A parse error still names the line and column.
        std::fs::write(&bad, "{\n  \"id\": ]").unwrap();
        let err = load_file(&bad).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_case_loaded_lean_is_made_whole_and_its_left_body_read_unless_its_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let mut whole = with_id("a");
        whole.request.method = Method::Patch;
        whole.request.body = Some(Body::Json(serde_json::json!({"name": "x", "n": [1, 2.5]})));
        whole.response.body = Some(Body::Json(serde_json::json!({"id": "1"})));
        whole
            .request
            .annotation
            .insert("blockType".into(), "request".into());
        whole
            .response
            .annotation
            .insert("truncated".into(), true.into());
        let file = dir.path().join(whole.file_name());
        std::fs::write(&file, whole.to_json()).unwrap();
        assert_eq!(load_file(&file).unwrap(), whole);
        let lean = CaseFiles::load_lean::<Value>(&file).unwrap();
        // The response body's JSON is what `R` is read from.
        assert_eq!(lean.response, Some(serde_json::json!({"id": "1"})));
        // A run reads neither the bodies nor the annotations of the head it keeps.
        let mut bare = whole.clone();
        (bare.request.body, bare.response.body) = (None, None);
        bare.request.annotation.clear();
        bare.response.annotation.clear();
        assert_eq!(lean.case, bare);
        let mut files = CaseFiles::default();
        files.note(&lean.case, lean.left);
        let again = files.whole(&lean.case).unwrap().unwrap();
        // The request body is the one loaded; the response body stays in the file until it
        // is asked for.
        assert_eq!(again.case.request.body, whole.request.body);
        assert_eq!(again.case.response.body, None);
        assert!(again.response_body.is_some_and(|b| b.is_json()));
        let mut run = whole.clone();
        run.request.annotation.clear();
        run.response.annotation.clear();
        assert_eq!(again.clone().into_case().unwrap(), run);
        // A case that was never loaded lean is whole already.
        assert!(files.whole(&with_id("b")).unwrap().is_none());
        // The file changed: the case still runs the request it was loaded with, but its
        // documented body can no longer be read, and the error says why.
        std::fs::write(&file, with_id("c").to_json()).unwrap();
        let changed = files.whole(&lean.case).unwrap().unwrap();
        assert_eq!(changed.case.request.body, whole.request.body);
        let left = changed.response_body.unwrap();
        let err = left.read().unwrap_err().to_string();
        assert!(err.contains("now holds case `c`"), "{err}");
        let mut no_body = with_id("a");
        no_body.request = whole.request.clone();
        std::fs::write(&file, no_body.to_json()).unwrap();
        let err = left.read().unwrap_err().to_string();
        assert!(err.contains("response body is gone"), "{err}");
        let mut text = whole.clone();
        text.response.body = Some(Body::Text("a,b".into()));
        std::fs::write(&file, text.to_json()).unwrap();
        let err = left.read().unwrap_err().to_string();
        assert!(err.contains("changed kind"), "{err}");
        std::fs::remove_file(&file).unwrap();
        let err = left.read().unwrap_err().to_string();
        assert!(err.contains(&file.display().to_string()), "{err}");
        // A text body is not read as `R`, and comes back verbatim.
        std::fs::write(&file, text.to_json()).unwrap();
        let lean = CaseFiles::load_lean::<Value>(&file).unwrap();
        assert_eq!(lean.response, None);
        files.note(&lean.case, lean.left);
        let again = files.whole(&lean.case).unwrap().unwrap();
        assert!(again.response_body.is_some_and(|b| !b.is_json()));
        assert_eq!(
            again.into_case().unwrap().response.body,
            Some(Body::Text("a,b".into()))
        );
        // A body kind the format does not have is a parse error naming the file.
        std::fs::write(&file, text.to_json().replace("\"text\"", "\"xml\"")).unwrap();
        let err = CaseFiles::load_lean::<Value>(&file)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&file.display().to_string()) && err.contains("xml"),
            "{err}"
        );
    }

    /// What file systems refuse in a name (Windows being the strictest).
    fn usable(name: &str) -> bool {
        name.len() <= 200
            && !name.starts_with(['.', ' '])
            && !name.ends_with(['.', ' '])
            && !name
                .chars()
                .any(|c| c.is_control() || "/\\:*?\"<>|".contains(c))
    }

    #[test]
    fn ordinary_ids_are_their_own_file_names() {
        for id in [
            "003_e135c242e05b0c0b.update_hostsecurityprofile",
            "a.n-2",
            "a.n~2",
            "dir.page.name with spaces é",
            "console.get",
        ] {
            assert_eq!(name(id), format!("{id}.json"));
        }
        // 195 bytes of id make a 200-byte name, still plain.
        let id = "x".repeat(195);
        assert_eq!(name(&id), format!("{id}.json"));
    }

    #[test]
    fn long_ids_get_a_short_stable_name_ending_in_a_hash() {
        let id = format!("page.{}", "x".repeat(300));
        let n = name(&id);
        assert!(usable(&n), "{n} ({} bytes)", n.len());
        // FNV-1a 64 of the id, pinned: the same id gets this name on every run and machine.
        assert!(n.ends_with("~1bdf698587e29c48.json"), "{n}");
        assert!(n.starts_with("page.xxxx"), "{n}");
        let just_over = "x".repeat(196);
        assert!(name(&just_over).len() <= 200);
        assert_ne!(name(&just_over), format!("{just_over}.json"));
        // Multi-byte characters are never cut in half.
        let wide = "é".repeat(300);
        let n = name(&wide);
        assert!(usable(&n), "{n} ({} bytes)", n.len());
        assert!(n.starts_with("éé"), "{n}");
    }

    #[test]
    fn refused_characters_give_a_sanitized_name_with_a_hash() {
        assert_eq!(name("a/b"), "a_b~e620c3190468cf61.json");
        let ids = [
            "a/b", "a\\b", "a:b", "a*b", "a?b", "a\"b", "a<b", "a>b", "a|b", "a\0b", "a\u{7}b",
            "a\nb", "a\u{7f}b", ".hidden", " lead", "", ".",
        ];
        let mut names = std::collections::HashSet::new();
        for id in ids {
            let n = name(id);
            assert!(usable(&n), "{id:?} -> {n:?}");
            assert!(names.insert(n.clone()), "{id:?} -> {n:?} is not unique");
        }
    }

    #[test]
    fn windows_device_names_are_not_used_as_names() {
        assert_eq!(name("con.update"), "_con.update~f8ebb6cfe9ec3a2e.json");
        for id in [
            "CON", "nul.x", "Aux.get", "prn", "com1.y", "LPT9.z", "con .x",
        ] {
            let n = name(id);
            assert!(n.starts_with('_'), "{id} -> {n}");
            assert!(usable(&n), "{id} -> {n}");
        }
    }
}
