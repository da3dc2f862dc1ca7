//! A small Graph-style service on axum: the security profiles of the seed pages, kept in
//! memory. It is written by hand from the documentation, as a user's own service would be, and
//! tested for conformance in process by `tests/conformance.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// The ids the service starts with, by the path parameter names its documentation uses.
pub const SEEDED_IDS: [(&str, &str); 4] = [
    ("userSecurityProfile_Id", USER),
    ("userSecurityProfileId", USER),
    ("hostSecurityProfileId", HOST),
    ("ipSecurityProfileId", IP),
];

const USER: &str = "e9107a0b-7a0b-e910-0b7a-10e90b7a10e9";
const HOST: &str = "753b6489-6489-753b-8964-3b7589643b75";
const IP: &str = "a5c97fce-7fce-a5c9-ce7f-c9a5ce7fc9a5";
const SECURITY: &str = "9ac7fb1c-d094-9ddd-a004-f7e8be5b32ca";

/// The media type of every JSON answer.
const JSON: &str = "application/json;odata.metadata=minimal;charset=utf-8";

/// A way to break the service on purpose, to see the conformance tests catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Answers every update with what it was sent, but stores nothing.
    ForgetsWrites,
    /// Answers `204 No Content` even when `Prefer: return=representation` asks for the entity.
    IgnoresReturnRepresentation,
}

/// Entities by collection and id.
type Entities = HashMap<(String, String), Map<String, Value>>;

/// The service's state.
#[derive(Clone)]
struct AppState {
    entities: Arc<Mutex<Entities>>,
    flaw: Option<Flaw>,
}

/// The service as documented.
pub fn app() -> Router {
    build(None)
}

/// The service with one flaw.
pub fn app_with(flaw: Flaw) -> Router {
    build(Some(flaw))
}

fn build(flaw: Option<Flaw>) -> Router {
    let mut entities = HashMap::new();
    for (collection, id) in [
        ("userSecurityProfiles", USER),
        ("hostSecurityProfiles", HOST),
        ("ipSecurityProfiles", IP),
    ] {
        let mut entity = Map::new();
        entity.insert("id".into(), json!(id));
        entities.insert((collection.to_string(), id.to_string()), entity);
    }
    let mut me = Map::new();
    me.insert("id".into(), json!(SECURITY));
    entities.insert(("security".to_string(), "me".to_string()), me);
    let state = AppState {
        entities: Arc::new(Mutex::new(entities)),
        flaw,
    };
    let profile = || get(read_profile).patch(update_profile);
    // Graph's paths are case-insensitive; the documentation spells `security` both ways.
    Router::new()
        .route("/security/{collection}/{id}", profile())
        .route("/Security/{collection}/{id}", profile())
        .route("/me/security", get(read_security).patch(update_security))
        .with_state(state)
}

/// The OData type of each collection's entities.
fn type_of(collection: &str) -> Option<&'static str> {
    match collection {
        "userSecurityProfiles" => Some("microsoft.graph.userSecurityProfile"),
        "hostSecurityProfiles" => Some("microsoft.graph.hostSecurityProfile"),
        "ipSecurityProfiles" => Some("microsoft.graph.ipSecurityProfile"),
        "security" => Some("microsoft.graph.security.security"),
        _ => None,
    }
}

/// An OData error answer.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    (status, [(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

/// The entity as the service shows it: its type, then its properties.
fn representation(status: StatusCode, type_name: &str, entity: &Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("@odata.type".into(), json!(format!("#{type_name}")));
    body.extend(entity.iter().map(|(k, v)| (k.clone(), v.clone())));
    (
        status,
        [(header::CONTENT_TYPE, JSON)],
        Value::Object(body).to_string(),
    )
        .into_response()
}

async fn read_profile(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
) -> Response {
    read(&state, &collection, &id)
}

async fn read_security(State(state): State<AppState>) -> Response {
    read(&state, "security", "me")
}

async fn update_profile(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    update(&state, &collection, &id, &headers, &body)
}

async fn update_security(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    update(&state, "security", "me", &headers, &body)
}

fn read(state: &AppState, collection: &str, id: &str) -> Response {
    let Some(type_name) = type_of(collection) else {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "no such collection",
        );
    };
    let entities = state.entities.lock().unwrap_or_else(|p| p.into_inner());
    match entities.get(&(collection.to_string(), id.to_string())) {
        Some(entity) => representation(StatusCode::OK, type_name, entity),
        None => error(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "no entity with this id",
        ),
    }
}

/// What the client prefers back (RFC 7240 `return`), if it says.
fn preferred_return(headers: &HeaderMap) -> Option<&'static str> {
    let prefer = headers.get_all("prefer");
    for value in prefer.iter().filter_map(|v| v.to_str().ok()) {
        for preference in value.split(',') {
            let (name, value) = preference
                .split(';')
                .next()
                .unwrap_or("")
                .split_once('=')
                .unwrap_or(("", ""));
            if name.trim().eq_ignore_ascii_case("return") {
                match value.trim().trim_matches('"') {
                    "minimal" => return Some("return=minimal"),
                    "representation" => return Some("return=representation"),
                    _ => {}
                }
            }
        }
    }
    None
}

fn update(
    state: &AppState,
    collection: &str,
    id: &str,
    headers: &HeaderMap,
    body: &str,
) -> Response {
    let Some(type_name) = type_of(collection) else {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "no such collection",
        );
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "send the body as application/json",
        );
    }
    let Ok(Value::Object(patch)) = serde_json::from_str::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the body must be a JSON object",
        );
    };
    if patch
        .get("id")
        .is_some_and(|v| v != id && collection != "security")
    {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "`id` cannot be changed",
        );
    }
    let mut entities = state.entities.lock().unwrap_or_else(|p| p.into_inner());
    let Some(stored) = entities.get_mut(&(collection.to_string(), id.to_string())) else {
        return error(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "no entity with this id",
        );
    };
    let mut updated = stored.clone();
    for (k, v) in patch {
        // Instance annotations describe the payload; they are not properties to store.
        if !k.starts_with('@') && k != "id" {
            updated.insert(k, v);
        }
    }
    if state.flaw != Some(Flaw::ForgetsWrites) {
        *stored = updated.clone();
    }
    let asked = preferred_return(headers);
    let minimal = match asked {
        Some("return=minimal") => true,
        Some(_) => state.flaw == Some(Flaw::IgnoresReturnRepresentation),
        None => false,
    };
    let mut response = if minimal {
        StatusCode::NO_CONTENT.into_response()
    } else {
        representation(StatusCode::OK, type_name, &updated)
    };
    if let Some(applied) = asked {
        response
            .headers_mut()
            .insert("preference-applied", HeaderValue::from_static(applied));
    }
    response
}
