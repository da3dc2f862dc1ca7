//! Routes: the documented operations the mock answers, matched by resource path.

use crate::http::ResourcePath;
use crate::model::case::{Body, Case, Method};

/// A path segment of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Lit(String),
    Param,
}

/// A documented operation the mock answers.
#[derive(Debug, Clone)]
pub(super) struct Route {
    pub(super) method: Method,
    pub(super) template: String,
    pub(super) segs: Vec<Seg>,
    pub(super) type_name: Option<String>,
}

/// The resource segments of a request path (one rule with the runner: [`ResourcePath`]).
pub(super) fn segments(path: &str) -> Vec<String> {
    ResourcePath::parse(path).segments().to_vec()
}

impl Route {
    pub(super) fn new(method: Method, template: &str, type_name: Option<String>) -> Route {
        let segs = template
            .split('?')
            .next()
            .unwrap_or("")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if crate::http::path::is_param(s) {
                    Seg::Param
                } else {
                    Seg::Lit(s.to_ascii_lowercase())
                }
            })
            .collect();
        Route {
            method,
            template: template.split('?').next().unwrap_or("").to_string(),
            segs,
            type_name,
        }
    }

    /// The parameter values if the path matches this route's shape.
    pub(super) fn matches(&self, segs: &[String]) -> Option<Vec<String>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut values = Vec::new();
        for (want, got) in self.segs.iter().zip(segs) {
            match want {
                Seg::Lit(l) if l.eq_ignore_ascii_case(got) => {}
                Seg::Lit(_) => return None,
                Seg::Param => values.push(got.clone()),
            }
        }
        Some(values)
    }

    /// The store key for concrete parameter values: literals lower-cased, values verbatim.
    pub(super) fn key(&self, values: &[String]) -> String {
        let mut vals = values.iter();
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.clone(),
                Seg::Param => vals.next().cloned().unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Whether two routes address the same resource shape (method aside).
    pub(super) fn same_shape(&self, other: &Route) -> bool {
        self.segs == other.segs
    }
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
