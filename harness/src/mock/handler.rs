//! The handler: answers one request from the routes and the store, validating what is written.

use serde_json::{json, Map, Value};

use super::routes::{segments, Route};
use super::{Mock, MockResponse, PatchDefault, JSON_CONTENT_TYPE};
use crate::http::{Preferences, Return};
use crate::model::case::Method;
use crate::placeholder::is_annotation;

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
        let mut resp = self.route(method, path, header, body, &request_id);
        resp.headers.push(("request-id".into(), request_id));
        resp.headers
            .push(("client-request-id".into(), client_request_id));
        resp
    }

    fn route<'h>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        request_id: &str,
    ) -> MockResponse {
        let segs = segments(path);
        let named = method;
        let matching: Vec<(&Route, Vec<String>)> = self
            .routes
            .iter()
            .filter_map(|r| r.matches(&segs).map(|v| (r, v)))
            .collect();
        if matching.is_empty() {
            return error(
                404,
                "ResourceNotFound",
                &format!(
                    "no documented operation has the path {}",
                    path.split('?').next().unwrap_or("")
                ),
                request_id,
            );
        }
        let method = Method::parse(named);
        let Some((route, values)) = matching.iter().find(|(r, _)| Some(r.method) == method) else {
            let mut allowed: Vec<&str> = matching.iter().map(|(r, _)| r.method.as_str()).collect();
            allowed.sort();
            allowed.dedup();
            let mut resp = error(
                405,
                "MethodNotAllowed",
                &format!(
                    "{named} is not documented for this path; documented: {}",
                    allowed.join(", ")
                ),
                request_id,
            );
            resp.headers.push(("Allow".into(), allowed.join(", ")));
            return resp;
        };
        let key = route.key(values);
        let type_name = route.type_name.clone();
        match route.method {
            Method::Get => self.get(&key, type_name.as_deref(), request_id),
            Method::Patch | Method::Put => {
                let prefer = header("prefer");
                let ct = header("content-type");
                self.update(
                    &key,
                    type_name.as_deref(),
                    route.method == Method::Put,
                    ct,
                    prefer,
                    body,
                    request_id,
                )
            }
            Method::Delete => {
                let removed = self.store.entities().remove(&key);
                match removed {
                    Some(_) => MockResponse {
                        status: 204,
                        headers: Vec::new(),
                        body: Vec::new(),
                    },
                    None => not_found(&key, request_id),
                }
            }
            Method::Post => self.create(
                &key,
                type_name.as_deref(),
                header("content-type"),
                body,
                request_id,
            ),
            _ => error(
                405,
                "MethodNotAllowed",
                &format!("{named} is not supported"),
                request_id,
            ),
        }
    }

    fn get(&self, key: &str, type_name: Option<&str>, request_id: &str) -> MockResponse {
        match self.store.entities().get(key) {
            Some(e) => representation(200, e, type_name),
            None => not_found(key, request_id),
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
        let value: Value = serde_json::from_slice(body).map_err(|e| {
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
        if let Some(t) = map.get("@odata.type") {
            let named = t.as_str().unwrap_or_default().trim_start_matches('#');
            if !self.schemas.is_derived_from(named, type_name) {
                return Err(error(
                    400,
                    "BadRequest",
                    &format!("@odata.type {t} is not {type_name} or derived from it"),
                    request_id,
                ));
            }
        }
        let read_only: Vec<String> = map
            .keys()
            .filter(|k| k.as_str() != "id" && self.schemas.is_read_only(type_name, k))
            .map(|k| format!("`{k}`"))
            .collect();
        if !read_only.is_empty() {
            return Err(error(
                400,
                "BadRequest",
                &format!(
                    "{} read-only on {type_name}",
                    read_only.join(", ") + if read_only.len() == 1 { " is" } else { " are" }
                ),
                request_id,
            ));
        }
        if let Some(props) = self.schemas.properties(type_name) {
            let unknown: Vec<&String> = map
                .keys()
                .filter(|k| !is_annotation(k) && !props.contains_key(k.as_str()))
                .collect();
            if !unknown.is_empty() {
                return Err(error(
                    400,
                    "BadRequest",
                    &format!(
                        "{type_name} has no property {}",
                        unknown
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    request_id,
                ));
            }
        }
        match self.schemas.validate(type_name, &value) {
            Ok(findings) if findings.is_empty() => Ok(into_map(value)),
            Ok(findings) => Err(error(
                400,
                "BadRequest",
                &findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{}: {}",
                            crate::schema::display_pointer(&f.pointer),
                            f.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                request_id,
            )),
            // No schema for the type: accept what parses, as a lenient service would.
            Err(_) => Ok(into_map(value)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        key: &str,
        type_name: Option<&str>,
        replace: bool,
        content_type: Option<&str>,
        prefer: Option<&str>,
        body: &[u8],
        request_id: &str,
    ) -> MockResponse {
        let patch = match self.validated_body(type_name, content_type, body, request_id) {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        let mut store = self.store.entities();
        let Some(entity) = store.get_mut(key) else {
            return not_found(key, request_id);
        };
        if let (Some(new), Some(old)) = (patch.get("id"), entity.get("id")) {
            if new != old {
                return error(400, "BadRequest", "`id` cannot be changed", request_id);
            }
        }
        if replace {
            let id = entity.get("id").cloned();
            entity.clear();
            entity.extend(id.map(|id| ("id".to_string(), id)));
        }
        for (k, v) in patch {
            if !is_annotation(&k) && k != "id" {
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
        // A Prefer that does not parse is ignored, as RFC 7240 lets a server do.
        let wants = prefer
            .and_then(|p| Preferences::parse([p]).ok())
            .and_then(|p| p.return_())
            .map(|r| match r {
                Return::Minimal => PatchDefault::Minimal,
                Return::Representation => PatchDefault::Representation,
            });
        let mut resp = match wants.unwrap_or(self.patch_default) {
            PatchDefault::Representation => representation(200, entity, type_name),
            PatchDefault::Minimal => MockResponse {
                status: 204,
                headers: Vec::new(),
                body: Vec::new(),
            },
        };
        if let Some(w) = wants {
            let applied = match w {
                PatchDefault::Minimal => "return=minimal",
                PatchDefault::Representation => "return=representation",
            };
            resp.headers
                .push(("Preference-Applied".into(), applied.into()));
        }
        resp
    }

    fn create(
        &self,
        key: &str,
        type_name: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        request_id: &str,
    ) -> MockResponse {
        let mut entity = match self.validated_body(type_name, content_type, body, request_id) {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        entity.retain(|k, _| !is_annotation(k));
        let id = self.store.next_created_id(key);
        entity.insert("id".into(), Value::String(id.clone()));
        let resp = representation(201, &entity, type_name);
        self.store.entities().insert(format!("{key}/{id}"), entity);
        resp
    }
}

fn representation(
    status: u16,
    entity: &Map<String, Value>,
    type_name: Option<&str>,
) -> MockResponse {
    let mut out = Map::new();
    if let Some(t) = type_name {
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
