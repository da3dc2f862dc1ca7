//! The handler: answers one request from the documented operations and the store, validating
//! what is written.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::query::Query;
use super::routes::{OpKind, Operation, normal_query};
use super::{JSON_CONTENT_TYPE, Mock, MockResponse, PatchDefault};
use crate::http::{Preferences, ResourcePath, Return};
use crate::model::case::{Body, Method};

/// What the handler knows of one request.
struct Request<'a> {
    method: Method,
    /// The path as received (version prefix and query included), for `Location`.
    raw_path: &'a str,
    path: ResourcePath,
    query: Option<&'a str>,
    content_type: Option<&'a str>,
    prefer: Option<Return>,
    /// Every header, as received.
    headers: &'a [(String, String)],
    body: &'a [u8],
    request_id: &'a str,
}

impl Mock {
    /// Answers one request.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> MockResponse {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        // The request id is a hash of the request and the client's id for it (a count of
        // requests when the client sends none).
        let client_request_id = header("client-request-id").map(str::to_string);
        let request_id = self
            .store
            .request_id(method, path, client_request_id.as_deref());
        let client_request_id = client_request_id.unwrap_or_else(|| request_id.clone());
        let (bare, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        // A Prefer that does not parse is ignored, as RFC 7240 lets a server do.
        let prefer = header("prefer")
            .and_then(|p| Preferences::parse([p]).ok())
            .and_then(|p| p.return_());
        let mut resp = match Method::parse(method) {
            Some(m) => self.route(&Request {
                method: m,
                raw_path: bare,
                path: self.canonical(ResourcePath::parse(bare)),
                query,
                content_type: header("content-type"),
                prefer,
                headers,
                body,
                request_id: &request_id,
            }),
            None => self.not_allowed(
                method,
                &self.canonical(ResourcePath::parse(bare)),
                &request_id,
            ),
        };
        resp.headers.push(("request-id".into(), request_id));
        resp.headers
            .push(("client-request-id".into(), client_request_id));
        resp
    }

    /// 405 with `Allow` when other methods are documented for the path, 404 when none is.
    fn not_allowed(&self, method: &str, path: &ResourcePath, request_id: &str) -> MockResponse {
        let mut allowed: Vec<&str> = Vec::new();
        for spelling in std::iter::once(path.clone()).chain(self.alias(path)) {
            let segs = spelling.segments();
            allowed.extend(
                self.index
                    .any(segs.len())
                    .iter()
                    .map(|&i| &self.ops[i])
                    .filter(|op| op.matches(segs).is_some())
                    .map(|op| op.method.as_str()),
            );
        }
        let segs = path.segments();
        allowed.sort();
        allowed.dedup();
        if allowed.is_empty() {
            return error(
                404,
                "ResourceNotFound",
                &format!("no documented operation has the path /{}", segs.join("/")),
                request_id,
            );
        }
        let mut resp = error(
            405,
            "MethodNotAllowed",
            &format!(
                "{method} is not documented for this path; documented: {}",
                allowed.join(", ")
            ),
            request_id,
        );
        resp.headers.push(("Allow".into(), allowed.join(", ")));
        resp
    }

    /// The documented operation a request is an instance of: the path's template, the same
    /// query if one was documented, the same `Prefer`-ness, then the example whose request
    /// this is (its very body, the headers it documents, such as `Accept-Language`); among
    /// operations documented alike, the status most pages document (for PATCH without
    /// `Prefer`, the PATCH default).
    fn operation(&self, req: &Request<'_>) -> Option<&Operation> {
        let segs = req.path.segments();
        let query = req.query.and_then(normal_query);
        let sent: Option<serde_json::Value> = crate::strict_json::from_slice(req.body).ok();
        // How well the documented request's headers fit: each one sent alike counts, one sent
        // otherwise (or not at all) rules the example out.
        let asked = |op: &Operation| -> i64 {
            let mut fit = 0;
            for (name, value) in &op.asked {
                let got = req
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim());
                if got == Some(value.as_str()) {
                    fit += 1;
                } else {
                    return -1;
                }
            }
            fit
        };
        // Each candidate stands for the operations documented alike (see `Group::kinds`),
        // with how many there are: they score alike, and the count is their weight below.
        let fitting = |segs: &[String]| -> Vec<(&Operation, usize)> {
            self.index
                .with(req.method, segs.len())
                .iter()
                .filter(|g| {
                    g.ops
                        .first()
                        .is_some_and(|&i| self.ops[i].matches(segs).is_some())
                })
                .flat_map(|g| g.kinds.iter().map(|&(i, n)| (&self.ops[i], n)))
                .collect()
        };
        let mut candidates = fitting(segs);
        // The signed-in user's resources answer as documented under `/me` too.
        if candidates.is_empty()
            && let Some(alias) = self.alias(&req.path)
        {
            candidates = fitting(alias.segments());
        }
        let score = |op: &Operation| {
            let query_score = match (&op.query, &query) {
                (Some(a), Some(b)) if a == b => 2,
                (None, _) => 1,
                _ => 0,
            };
            (
                query_score,
                op.literals(),
                op.prefer == req.prefer.is_some(),
            )
        };
        let best = candidates.iter().map(|(op, _)| score(op)).max()?;
        let mut tops: Vec<(&Operation, usize)> = candidates
            .into_iter()
            .filter(|(op, _)| score(op) == best)
            .collect();
        // What PATCH without Prefer answers is the service's one choice, not the example's:
        // a page that documents the other is the docs disagreeing (lint says so).
        if req.method == Method::Patch && req.prefer.is_none() {
            let want = match self.patch_default {
                PatchDefault::Representation => 200,
                PatchDefault::Minimal => 204,
            };
            if tops.iter().any(|(op, _)| op.status == want) {
                tops.retain(|(op, _)| op.status == want);
            }
        }
        let sent_id = sent.as_ref().and_then(|b| self.bodies.id_of(b));
        let fit = |op: &Operation| (asked(op), sent_id.is_some() && op.sent_id == sent_id);
        let best_fit = tops.iter().map(|(op, _)| fit(op)).max()?;
        tops.retain(|(op, _)| fit(op) == best_fit);
        let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
        for (op, n) in &tops {
            *counts.entry(op.status).or_default() += n;
        }
        let most = counts.values().copied().max().unwrap_or(0);
        tops.into_iter()
            .map(|(op, _)| op)
            .filter(|op| counts.get(&op.status) == Some(&most))
            .min_by_key(|op| op.order)
    }

    fn route(&self, req: &Request<'_>) -> MockResponse {
        let Some(op) = self.operation(req) else {
            return self.not_allowed(req.method.as_str(), &req.path, req.request_id);
        };
        match op.kind {
            OpKind::Read => self.read(op, req),
            OpKind::List => self.list(op, req),
            OpKind::Create => self.create(op, req),
            OpKind::Update | OpKind::Replace => self.update(op, req),
            OpKind::Delete => self.delete(op, req),
            OpKind::Answer => documented(op, op.status),
        }
    }

    fn read(&self, op: &Operation, req: &Request<'_>) -> MockResponse {
        let query = Query::parse(req.query);
        let entities = self.store.entities();
        let key = req.path.key();
        let Some(e) = entities.get(&key) else {
            return not_found(&key, req.request_id);
        };
        let mut shown = query.project(e);
        // An expanded navigation shows what the store holds under it: its members, or the
        // one entity there.
        for nav in &query.expand {
            if shown.keys().any(|k| k.eq_ignore_ascii_case(nav)) {
                continue;
            }
            let under = req.path.child(nav).key();
            let members = entities.members(&under);
            let value = if !members.is_empty() {
                Value::Array(
                    members
                        .into_iter()
                        .map(|m| Value::Object(m.clone()))
                        .collect(),
                )
            } else if let Some(one) = entities.get(&under) {
                Value::Object(one.clone())
            } else {
                continue;
            };
            shown.insert(nav.clone(), value);
        }
        with_headers(
            representation(op.status, &shown, op.type_name.as_deref()),
            op,
        )
    }

    fn list(&self, op: &Operation, req: &Request<'_>) -> MockResponse {
        let query = Query::parse(req.query);
        let entities = self.store.entities();
        let members = entities.members(&req.path.key());
        if members.is_empty() {
            return documented(op, op.status);
        }
        let (mut items, total) = query.list(members.into_iter());
        // An item stored from several operations' examples (of sibling types, say) is answered
        // as the type it names, else as the listing's.
        if let Some(listed) = op.type_name.as_deref() {
            for item in items.iter_mut() {
                let named = item
                    .get("@odata.type")
                    .and_then(Value::as_str)
                    .map(|t| t.trim_start_matches('#').to_string())
                    .filter(|t| self.schemas.has(t));
                let t = named.unwrap_or_else(|| listed.to_string());
                self.schemas.conform(&t, item);
            }
        }
        let mut out = Map::new();
        if let Some(Value::Object(example)) = op.example() {
            for (k, v) in example.iter().filter(|(k, _)| k.as_str() != "value") {
                out.insert(k.clone(), v.clone());
            }
        }
        if query.count || out.contains_key("@odata.count") {
            out.insert("@odata.count".into(), Value::from(total));
        }
        out.insert("value".into(), Value::Array(items));
        with_headers(json_response(op.status, &Value::Object(out)), op)
    }

    fn create(&self, op: &Operation, req: &Request<'_>) -> MockResponse {
        let written = match self.validated_body(
            op.type_name.as_deref(),
            req.content_type,
            req.body,
            req.request_id,
        ) {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        // What the doc shows a created entity to have, with what was written over it.
        let mut entity: Map<String, Value> = match op.example() {
            Some(Value::Object(e)) => e
                .iter()
                .filter(|(k, _)| k.as_str() != "id" && k.as_str() != "@odata.context")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => Map::new(),
        };
        for (k, v) in written.into_iter().filter(|(k, _)| k != "@odata.context") {
            deep_merge(&mut entity, k, v);
        }
        let collection = req.path.key();
        // A key the client chose (a domain's name, a connection's id) is the entity's key.
        let id = match entity.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => self.store.next_created_id(&collection),
        };
        entity.insert("id".into(), Value::String(id.clone()));
        // What the doc shows and what was written can mix into something the type does not
        // allow; the stored entity is made valid.
        if let Some(t) = &op.type_name {
            let mut value = Value::Object(entity);
            self.schemas.conform(t, &mut value);
            entity = match value {
                Value::Object(m) => m,
                _ => Map::new(),
            };
        }
        let resp = representation(op.status, &entity, op.type_name.as_deref());
        self.store
            .entities()
            .insert(req.path.child(&id).key(), entity, Some(&collection));
        let mut resp = with_headers(resp, op);
        resp.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("location"));
        resp.headers.push((
            "Location".into(),
            format!("{}/{id}", req.raw_path.trim_end_matches('/')),
        ));
        resp
    }

    fn update(&self, op: &Operation, req: &Request<'_>) -> MockResponse {
        let type_name = op.type_name.as_deref();
        let patch = match self.validated_body(type_name, req.content_type, req.body, req.request_id)
        {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        let key = req.path.key();
        let mut store = self.store.entities();
        let replace = op.kind == OpKind::Replace;
        if replace && !store.contains(&key) {
            // PUT creates what is not there yet.
            let mut fresh = Map::new();
            let id = req.path.segments().last().cloned().unwrap_or_default();
            fresh.insert("id".into(), Value::String(id));
            store.insert(key.clone(), fresh, None);
        }
        let Some(entity) = store.get_mut(&key) else {
            return not_found(&key, req.request_id);
        };
        // A key in the path names the entity: a body may not give it another. (A path that
        // ends in a literal or a navigation names no key the body could contradict.)
        if let (true, Some(new), Some(old)) = (op.ends_in_key(), patch.get("id"), entity.get("id"))
            && new != old
        {
            return error(400, "BadRequest", "`id` cannot be changed", req.request_id);
        }
        if replace {
            let id = entity.get("id").cloned();
            entity.clear();
            entity.extend(id.map(|id| ("id".to_string(), id)));
        }
        for (k, v) in patch {
            if k != "id" && k != "@odata.context" {
                entity.insert(k, v);
            }
        }
        let declares_modified = type_name
            .and_then(|t| self.schemas.properties(t))
            .is_some_and(|p| p.contains_key("lastModifiedDateTime"));
        if declares_modified {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            entity.insert("lastModifiedDateTime".into(), Value::String(now));
        }
        let with_body = match req.prefer {
            Some(Return::Representation) => true,
            Some(Return::Minimal) => false,
            None if self.patch_forced && op.kind == OpKind::Update => {
                self.patch_default == PatchDefault::Representation
            }
            None => matches!(op.status, 200 | 201) || (op.status != 204 && op.example().is_some()),
        };
        let mut resp = if with_body {
            // The representation shows what the doc's example shows, as stored now.
            let mut shown: Map<String, Value> = match op.example() {
                Some(Value::Object(e)) => e
                    .iter()
                    .filter(|(k, _)| k.as_str() != "@odata.context")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                _ => Map::new(),
            };
            shown.extend(entity.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Some(t) = type_name {
                let mut value = Value::Object(shown);
                self.schemas.conform(t, &mut value);
                shown = match value {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
            }
            // A representation asked for where the doc shows none comes with 200.
            let status = if op.status == 204 { 200 } else { op.status };
            with_headers(representation(status, &shown, type_name), op)
        } else {
            let status = if matches!(op.status, 200 | 201) {
                204
            } else {
                op.status
            };
            with_headers(empty(status), op)
        };
        if let Some(asked) = req.prefer {
            resp.headers
                .push(("Preference-Applied".into(), asked.as_header().into()));
        }
        resp
    }

    fn delete(&self, op: &Operation, req: &Request<'_>) -> MockResponse {
        let key = req.path.key();
        if self.store.entities().remove(&key) {
            documented(op, op.status)
        } else if req
            .path
            .last()
            .is_some_and(|l| l.eq_ignore_ascii_case("$ref"))
        {
            // References are not modelled (which one `$id` names is not stored): removing one
            // answers as documented.
            documented(op, op.status)
        } else {
            not_found(&key, req.request_id)
        }
    }

    /// Parses and validates a write body against the route's type.
    fn validated_body(
        &self,
        type_name: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        request_id: &str,
    ) -> Result<Map<String, Value>, MockResponse> {
        let is_json = content_type
            .and_then(|c| crate::http::MediaType::parse(c).ok())
            .is_some_and(|m| m.is_json());
        if !is_json {
            return Err(error(
                415,
                "UnsupportedMediaType",
                "the request body must be sent as application/json",
                request_id,
            ));
        }
        let value: Value = crate::strict_json::from_slice(body).map_err(|e| {
            error(
                400,
                "BadRequest",
                &format!("malformed JSON: {e}"),
                request_id,
            )
        })?;
        let Some(map) = value.as_object() else {
            return Err(error(
                400,
                "BadRequest",
                "the body must be a JSON object",
                request_id,
            ));
        };
        // Checked above to be an object; the fallback is never taken.
        let into_map = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let Some(type_name) = type_name else {
            return Ok(into_map(value));
        };
        match self.schemas.judge_write(type_name, map) {
            Ok(_) => Ok(into_map(value)),
            Err(refusal) => Err(error(400, "BadRequest", &refusal.to_string(), request_id)),
        }
    }
}

/// Puts a written value over what is there: objects merge property by property (the doc's
/// example shows what a created entity has besides what was written), anything else replaces.
fn deep_merge(into: &mut Map<String, Value>, key: String, value: Value) {
    match (into.get_mut(&key), value) {
        // Objects of two different derived types do not mix: the written one stands.
        (Some(Value::Object(old)), Value::Object(new))
            if old.get("@odata.type") == new.get("@odata.type")
                || new.get("@odata.type").is_none() =>
        {
            for (k, v) in new {
                deep_merge(old, k, v);
            }
        }
        (_, value) => {
            into.insert(key, value);
        }
    }
}

/// An answer with no body.
fn empty(status: u16) -> MockResponse {
    MockResponse {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// A JSON answer.
fn json_response(status: u16, body: &Value) -> MockResponse {
    MockResponse {
        status,
        headers: vec![("Content-Type".into(), JSON_CONTENT_TYPE.into())],
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

/// The answer with the operation's documented headers added (its own `Content-Type` kept).
fn with_headers(mut resp: MockResponse, op: &Operation) -> MockResponse {
    for (k, v) in &op.headers {
        if k.eq_ignore_ascii_case("content-type") {
            continue;
        }
        resp.headers.push((k.clone(), v.clone()));
    }
    resp
}

/// The documented response of an operation, as documented (placeholders repaired).
fn documented(op: &Operation, status: u16) -> MockResponse {
    if status == 204 || status == 304 {
        return with_headers(empty(status), op);
    }
    let content_type = op
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone());
    let (body, default_type) = match &op.body {
        Some(Body::Json(v)) => (serde_json::to_vec(v).unwrap_or_default(), JSON_CONTENT_TYPE),
        Some(Body::Text(t)) => (t.clone().into_bytes(), "text/plain"),
        None => (Vec::new(), JSON_CONTENT_TYPE),
    };
    let mut resp = with_headers(
        MockResponse {
            status,
            headers: Vec::new(),
            body,
        },
        op,
    );
    if !resp.body.is_empty() {
        let ct = content_type.unwrap_or_else(|| default_type.to_string());
        resp.headers.insert(0, ("Content-Type".into(), ct));
    }
    resp
}

fn representation(
    status: u16,
    entity: &Map<String, Value>,
    type_name: Option<&str>,
) -> MockResponse {
    let mut out = Map::new();
    // Entity types are named; a primitive answer (`Edm.String`) carries no annotation.
    if let Some(t) = type_name.filter(|t| crate::schema::primitive(t).is_none()) {
        out.insert("@odata.type".into(), Value::String(format!("#{t}")));
    }
    out.extend(entity.iter().map(|(k, v)| (k.clone(), v.clone())));
    MockResponse {
        status,
        headers: vec![("Content-Type".into(), JSON_CONTENT_TYPE.into())],
        body: serde_json::to_vec(&Value::Object(out)).unwrap_or_default(),
    }
}

fn not_found(key: &str, request_id: &str) -> MockResponse {
    error(
        404,
        "itemNotFound",
        &format!("no resource at /{key}"),
        request_id,
    )
}

/// An OData error answer.
pub(super) fn error(status: u16, code: &str, message: &str, request_id: &str) -> MockResponse {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "request-id": request_id,
                "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }
        }
    });
    MockResponse {
        status,
        headers: vec![("Content-Type".into(), JSON_CONTENT_TYPE.into())],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}
