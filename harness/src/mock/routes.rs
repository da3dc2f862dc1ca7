//! Routes: the documented operations the mock answers, what each one is (a read of an entity,
//! a listing, a create, an update, an action…), and how a request finds its operation.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::http::ResourcePath;
use crate::model::case::{Body, Case, Header, Method};

/// One segment of a path template: literal text and parameters, in order (`users`, `{id}`,
/// `items('{id}')`, `range(address='{a}')`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Seg {
    /// Literal pieces, lower case; a parameter stands between each two.
    pieces: Vec<String>,
    /// The parameters' names, in order (as cases record them).
    pub(super) names: Vec<String>,
}

impl Seg {
    fn parse(segment: &str) -> Seg {
        let mut pieces = Vec::new();
        let mut names = Vec::new();
        let mut rest = segment;
        loop {
            match rest
                .find('{')
                .and_then(|o| rest[o..].find('}').map(|c| (o, o + c)))
            {
                Some((open, close)) => {
                    pieces.push(rest[..open].to_lowercase());
                    let name: Vec<&str> = rest[open + 1..close].split('|').map(str::trim).collect();
                    names.push(name.join("|"));
                    rest = &rest[close + 1..];
                }
                None => {
                    pieces.push(rest.to_lowercase());
                    return Seg { pieces, names };
                }
            }
        }
    }

    /// How many parameters the segment holds.
    fn params(&self) -> usize {
        self.names.len()
    }

    /// Whether the segment is one whole parameter (`{id}`), as an entity key is.
    pub(super) fn is_key(&self) -> bool {
        self.pieces.len() == 2 && self.pieces.iter().all(String::is_empty)
    }

    /// The parameter values if a concrete segment fits; literals compare case-insensitively.
    fn matches(&self, got: &str) -> Option<Vec<String>> {
        let lower = got.to_lowercase();
        if self.pieces.len() == 1 {
            return (lower == self.pieces[0]).then(Vec::new);
        }
        let first = &self.pieces[0];
        if !lower.starts_with(first.as_str()) {
            return None;
        }
        let mut at = first.len();
        let mut values = Vec::new();
        let last = self.pieces.len() - 1;
        for (i, piece) in self.pieces.iter().enumerate().skip(1) {
            let end = if i == last {
                if !lower[at..].ends_with(piece.as_str()) || lower.len() < at + piece.len() {
                    return None;
                }
                lower.len() - piece.len()
            } else if piece.is_empty() {
                return None;
            } else {
                at + lower[at..].find(piece.as_str())?
            };
            values.push(got.get(at..end)?.to_string());
            at = end + piece.len();
        }
        Some(values)
    }

    /// The segment with its parameters' values filled in.
    fn fill(&self, values: &BTreeMap<String, String>) -> String {
        let mut out = self.pieces[0].clone();
        for (piece, name) in self.pieces[1..].iter().zip(&self.names) {
            out.push_str(values.get(name).map_or("", String::as_str));
            out.push_str(piece);
        }
        out
    }
}

/// What a documented operation does to the mock's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OpKind {
    /// GET of one entity, answered from the store.
    Read,
    /// GET of a collection, answered with what is stored under it.
    List,
    /// POST that creates an entity in the collection (documented 201 with the entity).
    Create,
    /// PATCH: merges into the stored entity.
    Update,
    /// PUT of a JSON entity: replaces the stored one.
    Replace,
    /// DELETE: the stored entity is gone.
    Delete,
    /// Anything the mock does not model (actions, functions, `$value`, uploads): answered with
    /// the documented response.
    Answer,
}

/// A documented operation the mock answers.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    pub(super) method: Method,
    /// The path template, without its query.
    pub(super) template: String,
    pub(super) segs: Vec<Seg>,
    /// The documented query, normalised (see [`normal_query`]).
    pub(super) query: Option<String>,
    pub(super) kind: OpKind,
    /// The type of the entity (or items) the operation answers or writes.
    pub(super) type_name: Option<String>,
    /// Whether the documented answer is a collection of that type (in `value`).
    pub(super) collection: bool,
    pub(super) status: u16,
    /// Documented response headers worth sending (framing and per-exchange ones aside).
    pub(super) headers: Vec<(String, String)>,
    /// The documented body, placeholders repaired.
    pub(super) body: Option<Body>,
    /// Whether the documented request sends a `Prefer` header.
    pub(super) prefer: bool,
    /// The documented request's other headers that may select an answer (`Accept-Language`…),
    /// names in lower case.
    pub(super) asked: Vec<(String, String)>,
    /// The documented request's JSON body as a client sends it (placeholders mended).
    pub(super) sent: Option<serde_json::Value>,
    /// The id [`Bodies`] gives `sent`: a request is matched against every documented body of
    /// its operation (thousands of them, often equal, in a generated suite), so it is compared
    /// once with the distinct bodies, and then by id.
    pub(super) sent_id: Option<usize>,
    /// The case's path parameters (those in the query included).
    pub(super) params: Vec<String>,
    /// The case it comes from.
    pub(super) case_id: String,
    /// Place in documented (source) order.
    pub(super) order: usize,
}

/// Request headers that do not select among documented answers: framing, credentials, and
/// those matched on their own (`Prefer`, `Content-Type`).
const NOT_SELECTING: [&str; 8] = [
    "content-type",
    "content-length",
    "authorization",
    "prefer",
    "host",
    "accept",
    "connection",
    "client-request-id",
];

/// Response headers never answered as documented: framing, and per-exchange values the mock
/// makes itself.
const NOT_ANSWERED: [&str; 7] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
    "request-id",
    "client-request-id",
];

/// A query string as matching sees it: percent-decoded, `+` as a space, lower case, its
/// options in a fixed order.
pub(super) fn normal_query(query: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(&query.replace('+', " "))
        .decode_utf8_lossy()
        .to_lowercase();
    let mut options: Vec<&str> = decoded
        .split('&')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    options.sort_unstable();
    (!options.is_empty()).then(|| options.join("&"))
}

/// The resource type a case works on: its response type, or the type its request body names.
pub(super) fn case_type(case: &Case) -> Option<String> {
    case.response
        .odata_type
        .clone()
        .or_else(|| match &case.request.body {
            Some(Body::Json(v)) => crate::model::case::named_type(v).map(str::to_string),
            _ => None,
        })
}

/// Whether a JSON value shows one entity (an object with a key).
fn is_entity(v: &Value) -> bool {
    v.get("id")
        .is_some_and(|id| id.is_string() || id.is_number())
}

/// What a case's operation does.
fn kind_of(case: &Case, segs: &[Seg]) -> OpKind {
    let body = match &case.response.body {
        Some(Body::Json(v)) => Some(v),
        _ => None,
    };
    let listing = case.response.is_collection
        || body.is_some_and(|b| b.get("value").is_some_and(Value::is_array) && !is_entity(b));
    let json_request = matches!(case.request.body, Some(Body::Json(Value::Object(_))));
    match case.request.method {
        Method::Get if listing => OpKind::List,
        // An entity, a singleton or any object at a path: stored there, so that what is
        // written to the path is what a GET shows.
        Method::Get if body.is_some_and(Value::is_object) => OpKind::Read,
        Method::Post if case.response.status == 201 && body.is_some_and(is_entity) => {
            OpKind::Create
        }
        Method::Patch if json_request => OpKind::Update,
        Method::Put if json_request && !segs.is_empty() => OpKind::Replace,
        Method::Delete => OpKind::Delete,
        _ => OpKind::Answer,
    }
}

impl Operation {
    /// The operation a case documents.
    pub(super) fn new(case: &Case, order: usize) -> Operation {
        let (template, query) = match case.request.path.split_once('?') {
            Some((t, q)) => (t.to_string(), normal_query(q)),
            None => (case.request.path.clone(), None),
        };
        let segs: Vec<Seg> = ResourcePath::parse(&template)
            .segments()
            .iter()
            .map(|s| Seg::parse(s))
            .collect();
        let headers = case
            .response
            .headers
            .iter()
            .filter(|h| !NOT_ANSWERED.contains(&h.name.to_ascii_lowercase().as_str()))
            .map(|Header { name, value }| (name.clone(), value.clone()))
            .collect();
        Operation {
            method: case.request.method,
            kind: kind_of(case, &segs),
            template,
            segs,
            query,
            type_name: case_type(case),
            collection: case.response.is_collection,
            status: case.response.status,
            headers,
            body: case.response.body.clone(),
            prefer: case.request_header("prefer").is_some(),
            asked: case
                .request
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value.trim().to_string()))
                .filter(|(n, _)| !NOT_SELECTING.contains(&n.as_str()))
                .collect(),
            sent: None,
            sent_id: None,
            params: case.request.params.clone(),
            case_id: case.id.clone(),
            order,
        }
    }

    /// The parameter values by name if a concrete path (its segments) fits this operation's
    /// template.
    pub(super) fn matches(&self, segs: &[String]) -> Option<BTreeMap<String, String>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut values = BTreeMap::new();
        for (want, got) in self.segs.iter().zip(segs) {
            for (name, value) in want.names.iter().zip(want.matches(got)?) {
                values.insert(name.clone(), value);
            }
        }
        Some(values)
    }

    /// How many literal segments the template has: the more, the more specific.
    pub(super) fn literals(&self) -> usize {
        self.segs.iter().filter(|s| s.params() == 0).count()
    }

    /// The concrete path for parameter values by name (values as they are, not encoded).
    pub(super) fn fill(&self, values: &BTreeMap<String, String>) -> ResourcePath {
        ResourcePath::from_segments(self.segs.iter().map(|s| s.fill(values)).collect())
    }

    /// The concrete path of the first `n` segments.
    pub(super) fn fill_prefix(&self, n: usize, values: &BTreeMap<String, String>) -> ResourcePath {
        ResourcePath::from_segments(self.segs[..n].iter().map(|s| s.fill(values)).collect())
    }

    /// How many parameters the template holds.
    pub(super) fn param_count(&self) -> usize {
        self.segs.iter().map(Seg::params).sum()
    }

    /// Whether the last segment is a whole parameter: the path names one entity by its key.
    pub(super) fn ends_in_key(&self) -> bool {
        self.segs.last().is_some_and(Seg::is_key)
    }

    /// The documented JSON example, if there is one.
    pub(super) fn example(&self) -> Option<&Value> {
        match &self.body {
            Some(Body::Json(v)) => Some(v),
            _ => None,
        }
    }
}

/// The operations by method and segment count, for finding a request's candidates quickly.
#[derive(Debug, Default)]
pub(super) struct Index {
    by_shape: HashMap<(Method, usize), Vec<Group>>,
    by_len: HashMap<usize, Vec<usize>>,
}

/// Operations whose path templates are the same segments: a path matches all of them or none,
/// so it is matched once per group, not once per documented example.
#[derive(Debug, Default)]
pub(super) struct Group {
    /// The operations, in index order; the first stands for the group when matching.
    pub(super) ops: Vec<usize>,
    /// The operations documented alike for choosing among them (query, `Prefer`-ness, the
    /// headers asked, the status, the body sent): for each such kind, its earliest operation
    /// and how many there are. Choosing among kinds gives the operation choosing among every
    /// operation gives, at a cost that does not grow with examples documented alike (a suite
    /// of 10,000 PATCHes of one template is one kind).
    pub(super) kinds: Vec<(usize, usize)>,
}

/// What [`Group::kinds`] tells operations apart by.
type Kind<'a> = (
    &'a Option<String>,
    bool,
    &'a [(String, String)],
    u16,
    Option<usize>,
);

impl Index {
    pub(super) fn new(ops: &[Operation]) -> Index {
        let mut index = Index::default();
        let mut groups: HashMap<(Method, &[Seg]), usize> = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            let shape = index
                .by_shape
                .entry((op.method, op.segs.len()))
                .or_default();
            let at = *groups
                .entry((op.method, op.segs.as_slice()))
                .or_insert_with(|| {
                    shape.push(Group::default());
                    shape.len() - 1
                });
            shape[at].ops.push(i);
            index.by_len.entry(op.segs.len()).or_default().push(i);
        }
        for group in index.by_shape.values_mut().flatten() {
            let mut kinds: HashMap<Kind, usize> = HashMap::new();
            for &i in &group.ops {
                let op = &ops[i];
                let kind = (
                    &op.query,
                    op.prefer,
                    op.asked.as_slice(),
                    op.status,
                    op.sent_id,
                );
                match kinds.get(&kind) {
                    Some(&k) => {
                        let (first, count) = &mut group.kinds[k];
                        *count += 1;
                        if op.order < ops[*first].order {
                            *first = i;
                        }
                    }
                    None => {
                        kinds.insert(kind, group.kinds.len());
                        group.kinds.push((i, 1));
                    }
                }
            }
        }
        index
    }

    /// Groups of operations of this method with as many segments.
    pub(super) fn with(&self, method: Method, len: usize) -> &[Group] {
        self.by_shape.get(&(method, len)).map_or(&[], Vec::as_slice)
    }

    /// Operations of any method with as many segments.
    pub(super) fn any(&self, len: usize) -> &[usize] {
        self.by_len.get(&len).map_or(&[], Vec::as_slice)
    }
}

/// The distinct documented request bodies, each with an id the operations sending it share.
#[derive(Debug, Default)]
pub(super) struct Bodies {
    by_hash: HashMap<u64, Vec<(usize, serde_json::Value)>>,
    count: usize,
}

impl Bodies {
    /// The id of a body, given one when first seen.
    pub(super) fn intern(&mut self, body: &serde_json::Value) -> usize {
        let same = self.by_hash.entry(json_hash(body)).or_default();
        if let Some((id, _)) = same.iter().find(|(_, b)| b == body) {
            return *id;
        }
        let id = self.count;
        self.count += 1;
        same.push((id, body.clone()));
        id
    }

    /// The id of a body some operation documents, if one does.
    pub(super) fn id_of(&self, body: &serde_json::Value) -> Option<usize> {
        self.by_hash
            .get(&json_hash(body))?
            .iter()
            .find(|(_, b)| b == body)
            .map(|(id, _)| *id)
    }
}

/// A hash of a JSON value that equal values share (object members in any order, as `Value`'s
/// equality has it). Hand-written because serde_json hashes no `Value` and a serialisation
/// keeps member order.
pub(super) fn json_hash(value: &serde_json::Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(v: &serde_json::Value, h: &mut fnv::FnvHasher) {
        use serde_json::Value;
        match v {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => (2u8, n.to_string()).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                items.iter().for_each(|i| feed(i, h));
            }
            Value::Object(map) => {
                (5u8, map.len()).hash(h);
                let mut members: Vec<_> = map.iter().collect();
                members.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in members {
                    k.hash(h);
                    feed(v, h);
                }
            }
        }
    }
    let mut h = fnv::FnvHasher::default();
    feed(value, &mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_json_hashes_alike_whatever_the_member_order() {
        let a = serde_json::json!({"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}});
        let b = serde_json::json!({"c": {"d": 1.5}, "b": [true, null, "x"], "a": 1});
        assert_eq!(a, b);
        assert_eq!(json_hash(&a), json_hash(&b));
        let c = serde_json::json!({"a": 1, "b": [null, true, "x"], "c": {"d": 1.5}});
        assert_ne!(json_hash(&a), json_hash(&c));
        assert_ne!(
            json_hash(&serde_json::json!(1)),
            json_hash(&serde_json::json!("1"))
        );
    }

    #[test]
    fn segments_with_parameters_inside() {
        let s = Seg::parse("items('{id}')");
        assert_eq!(
            Seg::parse("{id | userPrincipalName}").names,
            vec!["id|userPrincipalName"]
        );
        assert_eq!(s.matches("Items('abc')"), Some(vec!["abc".to_string()]));
        assert_eq!(s.matches("items(abc)"), None);
        let two = Seg::parse("range(address='{a}',sheet='{b}')");
        assert_eq!(
            two.matches("range(address='A1:B2',sheet='S')"),
            Some(vec!["A1:B2".to_string(), "S".to_string()])
        );
        assert!(Seg::parse("{id}").is_key());
        assert!(!s.is_key());
        assert_eq!(Seg::parse("users").matches("USERS"), Some(vec![]));
        assert_eq!(
            normal_query("$select=id,displayName&$top=5"),
            normal_query("%24top=5&$select=id%2CdisplayName")
        );
    }
}
