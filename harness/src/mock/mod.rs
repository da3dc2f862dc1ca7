//! The embedded reference mock: a stateful, validating implementation of the documented operations.
//!
//! Rooms: `routes` (the documented operations), `store` (entities and id counters), `seed`
//! (filled from the response examples), `handler` (one request answered), `server` (the mock as
//! a `tower::Service`, in process or over TCP).
//!
//! The mock is a hand-written service rather than wiremock or axum: its routes come from the
//! cases at run time, so a router adds nothing over one catch-all handler, while wiremock answers
//! every request under one write lock on a single-threaded runtime and cannot bind a chosen port
//! without its own panicking set-up.

mod handler;
mod query;
mod routes;
mod seed;
mod server;
mod store;

pub use server::{MockServer, MockService};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::http::ResourcePath;
use crate::model::case::{Case, Method};
use crate::schema::SchemaSet;

use routes::{Bodies, Index, OpKind, Operation};
use store::Store;

/// Largest request body the mock reads.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// The media type of every JSON answer, as Graph sends it.
pub const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// What a PATCH without a `Prefer` header answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchDefault {
    /// 200 with the updated entity.
    Representation,
    /// 204 with no body.
    Minimal,
}

impl PatchDefault {
    /// What most documented PATCH examples without `Prefer` show (ties go to representation).
    pub fn from_cases(cases: &[Case]) -> PatchDefault {
        PatchDefault::from_documented(cases.iter().map(|c| {
            (
                c.request.method,
                c.request_header("prefer").is_some(),
                c.response.status,
            )
        }))
    }

    /// The same from (method, whether `Prefer` is sent, documented status) of each case.
    pub fn from_documented(cases: impl IntoIterator<Item = (Method, bool, u16)>) -> PatchDefault {
        let (mut minimal, mut full) = (0, 0);
        for (method, prefer, status) in cases {
            if method != Method::Patch || prefer {
                continue;
            }
            match status {
                204 => minimal += 1,
                200 => full += 1,
                _ => {}
            }
        }
        if minimal > full {
            PatchDefault::Minimal
        } else {
            PatchDefault::Representation
        }
    }
}

/// An answer from the mock, independent of the server that sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct MockResponse {
    /// Status code.
    pub status: u16,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// An entity the mock was seeded with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The entity's path (template with values filled in).
    pub path: String,
    /// The type stored there.
    pub type_name: String,
    /// The case whose response example it came from.
    pub from_case: String,
}

/// The mock's routes and state.
pub struct Mock {
    /// Every documented operation, in documented order.
    ops: Vec<Operation>,
    index: Index,
    /// The documented request bodies, by id.
    bodies: Bodies,
    store: Store,
    schemas: Arc<SchemaSet>,
    /// What PATCH without `Prefer` answers where documented operations disagree (what most
    /// pages document), or everywhere when forced.
    patch_default: PatchDefault,
    /// Whether `patch_default` was given rather than taken from the pages.
    patch_forced: bool,
    seeded: Vec<Seeded>,
    params: HashMap<String, BTreeMap<String, String>>,
    notes: Vec<String>,
    /// The signed-in user's id: `/me` is `/users/{me}`.
    me: String,
}

/// Why the mock could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The cases could not be read.
    #[error(transparent)]
    Cases(#[from] crate::model::case::CaseError),
    /// The schemas could not be read.
    #[error(transparent)]
    Schemas(#[from] crate::schema::SchemaError),
}

impl Mock {
    /// Builds the mock from a folder of cases and a folder of schemas.
    pub fn load(
        cases: &std::path::Path,
        schemas: &std::path::Path,
        patch_default: Option<PatchDefault>,
    ) -> Result<Mock, MockError> {
        let all = crate::model::case::load_dir(cases)?;
        let schemas = Arc::new(SchemaSet::load_dir(schemas)?);
        Ok(Mock::new(&all, schemas, patch_default))
    }

    /// Builds the mock from the cases: their operations become routes, their response examples seed the store.
    pub fn new(
        cases: &[Case],
        schemas: Arc<SchemaSet>,
        patch_default: Option<PatchDefault>,
    ) -> Mock {
        let mut sorted: Vec<&Case> = cases.iter().filter(|c| c.request.host.is_none()).collect();
        sorted.sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
        let mut bodies = Bodies::default();
        let ops: Vec<Operation> = sorted
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut op = Operation::new(c, i);
                op.sent = crate::schema::sent_json(c, &schemas, &mut Vec::new());
                op.sent_id = op.sent.as_ref().map(|b| bodies.intern(b));
                // A POST answered 201 whose body is not the resource (an action's parameters)
                // creates nothing: it is answered as documented.
                if op.kind == OpKind::Create
                    && crate::schema::request_body_type(c, &schemas).is_none()
                {
                    op.kind = OpKind::Answer;
                }
                op
            })
            .collect();
        let mut mock = Mock {
            index: Index::new(&ops),
            ops,
            bodies,
            store: Store::default(),
            schemas,
            patch_default: patch_default.unwrap_or_else(|| PatchDefault::from_cases(cases)),
            patch_forced: patch_default.is_some(),
            seeded: Vec::new(),
            params: HashMap::new(),
            notes: Vec::new(),
            me: String::new(),
        };
        mock.me = mock.signed_in_user();
        mock.repair_examples();
        mock.seed();
        mock
    }

    /// The signed-in user's id: the one the docs' `GET /me` example shows, else a stable one.
    fn signed_in_user(&self) -> String {
        self.ops
            .iter()
            .filter(|op| {
                op.kind == OpKind::Read && op.template.trim_matches('/').eq_ignore_ascii_case("me")
            })
            .find_map(|op| {
                op.example()
                    .and_then(|e| e.get("id"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| store::stable_id("conform-mock:me"))
    }

    /// Where a path's resource lives: `/me/…` is `/users/{signed-in user}/…`, so that what is
    /// written through one is read through the other.
    pub(crate) fn canonical(&self, path: ResourcePath) -> ResourcePath {
        match path.segments().split_first() {
            Some((first, rest)) if first.eq_ignore_ascii_case("me") => {
                let mut segs = vec!["users".to_string(), self.me.clone()];
                segs.extend(rest.iter().cloned());
                ResourcePath::from_segments(segs)
            }
            _ => path,
        }
    }

    /// The other spelling of a canonical path of the signed-in user (`/users/{me}/x` as
    /// `/me/x`), for operations documented under `/me` only.
    pub(crate) fn alias(&self, path: &ResourcePath) -> Option<ResourcePath> {
        match path.segments() {
            [users, id, rest @ ..]
                if users.eq_ignore_ascii_case("users") && id.eq_ignore_ascii_case(&self.me) =>
            {
                let mut segs = vec!["me".to_string()];
                segs.extend(rest.iter().cloned());
                Some(ResourcePath::from_segments(segs))
            }
            _ => None,
        }
    }

    /// Path parameter values for a case, naming seeded entities.
    pub fn params_for(&self, case: &Case) -> BTreeMap<String, String> {
        self.params.get(&case.id).cloned().unwrap_or_default()
    }

    /// What the mock was seeded with.
    pub fn seeded(&self) -> &[Seeded] {
        &self.seeded
    }

    /// Notes from seeding (placeholders repaired, examples not seeded).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The documented operations, as `METHOD /template`.
    pub fn routes(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .ops
            .iter()
            .map(|op| {
                let query = op
                    .query
                    .as_deref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                format!("{} {}{query}", op.method, op.template)
            })
            .collect();
        r.sort();
        r.dedup();
        r
    }

    /// What the mock answers when no Prefer header is sent.
    pub fn patch_default(&self) -> PatchDefault {
        self.patch_default
    }
}
