//! Doc lint: what the pages say against themselves, against each other, and against the schemas.
//!
//! Rooms: `syntax` (a page's examples against its HTTP request section), `bodies` (example
//! bodies against the schemas), `answers` (answers no service could give as documented),
//! `tables` (property tables against the metadata), `headers` (required request headers),
//! `cross_page` (pages that disagree).

mod answers;
mod bodies;
mod cross_page;
mod deletes;
mod headers;
mod syntax;
mod tables;
mod writes;

pub(crate) use answers::{lint_answer_bodies, lint_answers};
pub(crate) use bodies::lint_bodies;
pub(crate) use cross_page::cross_page_lint;
pub(crate) use deletes::repeated_deletes;
pub(crate) use headers::lint_required_headers;
pub(crate) use syntax::lint_page;
pub(crate) use tables::lint_tables;
pub(crate) use writes::{lint_missing_body, lint_write};

use std::collections::{BTreeMap, HashSet};

use crate::doc::{Code, Diagnostic};
use crate::model::case::Case;
use crate::schema::SchemaSet;

/// The schemas examples are linted against: one set for every page, or one per API version.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintSchemas<'a> {
    /// Used for pages whose version has no set of its own.
    pub default: Option<&'a SchemaSet>,
    /// Sets by version segment (`beta`, `v1.0`).
    pub by_version: &'a [(String, SchemaSet)],
}

impl<'a> From<Option<&'a SchemaSet>> for LintSchemas<'a> {
    fn from(default: Option<&'a SchemaSet>) -> Self {
        LintSchemas {
            default,
            by_version: &[],
        }
    }
}

impl<'a> LintSchemas<'a> {
    /// The set for a case's version (its URL's, else a version folder in its page's path as
    /// the user named it, else the only version given, the first of these that has a set),
    /// else the default.
    pub fn for_case(&self, case: &Case, page: &str) -> Option<&'a SchemaSet> {
        let find = |v: &str| self.by_version.iter().find(|(s, _)| s == v);
        // A page's example may name another version than its page (a v1.0 page calling beta):
        // without that version's metadata, the page's own version judges it.
        let by_version = scope(case)
            .and_then(|v| find(&v))
            .or_else(|| page.split(['/', '\\']).find_map(find))
            .or(match self.by_version {
                [only] => Some(only),
                _ => None,
            });
        by_version.map(|(_, s)| s).or(self.default)
    }
}

/// Keeps one `no-schema` diagnostic per type, counting the rest: a schema set that does not
/// cover the docs would otherwise bury every other diagnostic.
pub(crate) fn collapse_no_schema(diags: &mut Vec<Diagnostic>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in diags.iter().filter(|d| d.code == Code::NoSchema) {
        *counts.entry(d.message.clone()).or_insert(0) += 1;
    }
    let mut seen = HashSet::new();
    diags.retain(|d| d.code != Code::NoSchema || seen.insert(d.message.clone()));
    for d in diags.iter_mut().filter(|d| d.code == Code::NoSchema) {
        if let Some(n) = counts.get(&d.message).filter(|n| **n > 1) {
            d.message = format!("{} (and {} more examples of this type)", d.message, n - 1);
        }
    }
}

/// The API version a case belongs to: its URL's, else a `beta` or `v1.0` folder in its page's path.
pub(crate) fn scope(c: &Case) -> Option<String> {
    c.version.clone().or_else(|| {
        c.source
            .file
            .split('/')
            .find(|part| crate::http::path::VERSIONS.contains(part))
            .map(str::to_string)
    })
}

/// Whether two cases may document the same thing: same version, or one version unknown.
pub(crate) fn same_scope(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// What the lint tests share: a small metadata's schemas and pages of examples.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::doc::{Code, Diagnostic};
    use crate::schema::SchemaSet;

    /// A small metadata: an entity `tag` (a key `id`, a read-only `createdDateTime`) holding a
    /// complex `settings`.
    const CSDL: &str = r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />
      </EntityType>
      <EntityType Name="tag" BaseType="graph.entity">
        <Property Name="displayName" Type="Edm.String" />
        <Property Name="memberIds" Type="Collection(Edm.String)" />
        <Property Name="settings" Type="graph.settings" />
        <Property Name="dueDateTime" Type="Edm.DateTimeOffset" />
        <Property Name="createdDateTime" Type="Edm.DateTimeOffset" />
      </EntityType>
      <ComplexType Name="settings">
        <Property Name="color" Type="Edm.String" />
        <Property Name="size" Type="Edm.Int32" />
      </ComplexType>
      <Annotations Target="microsoft.graph.tag/createdDateTime">
        <Annotation Term="Org.OData.Core.V1.Computed" Bool="true" />
      </Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

    /// The schemas of [`CSDL`].
    pub(crate) fn schemas() -> SchemaSet {
        let meta = crate::schema::csdl::Metadata::parse(CSDL).unwrap_or_else(|e| panic!("{e}"));
        let docs = crate::schema::generate(&meta, &[]).unwrap_or_else(|e| panic!("{e}"));
        SchemaSet::new(docs.into_iter().map(|(_, d)| d).collect()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A request example and its response example; `annotation` adds keys to the response's
    /// annotation (`, "truncated": true`).
    pub(crate) fn pair(name: &str, request: &str, annotation: &str, response: &str) -> String {
        format!(
            "<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\n{request}\n```\n<!-- {{ \"blockType\": \"response\"{annotation} }} -->\n```http\n{response}\n```\n"
        )
    }

    /// The 1-based line of the `n`-th (0-based) line of a page that contains `needle`.
    pub(crate) fn line_of(page: &str, needle: &str, n: usize) -> usize {
        page.lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .nth(n)
            .map(|(i, _)| i + 1)
            .unwrap_or_else(|| panic!("`{needle}` is not in the page {n} times"))
    }

    /// A page's diagnostics of one code, as `(line, message)`, linted against the schemas when given.
    pub(crate) fn found(
        page: &str,
        code: Code,
        schemas: Option<&SchemaSet>,
    ) -> Vec<(usize, String)> {
        let (_, diags) = crate::extract::extract_page_with("p.md", "p.md", page, schemas);
        diags
            .iter()
            .filter(|d: &&Diagnostic| d.code == code)
            .map(|d| (d.line, d.message.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::doc::Code;
    use crate::extract::extract_page;

    /// A request/response pair sending `request_line`.
    fn example(name: &str, request_line: &str) -> String {
        format!(
            "<!-- {{ \"blockType\": \"request\", \"name\": \"{name}\" }} -->\n```http\n{request_line}\n```\n<!-- {{ \"blockType\": \"response\" }} -->\n```http\nHTTP/1.1 204 No Content\n```\n"
        )
    }

    /// The `syntax-mismatch` diagnostics of a page, as `line: message`.
    fn mismatches(page: &str) -> Vec<String> {
        let (_, diags) = extract_page("p.md", "p.md", page);
        diags
            .iter()
            .filter(|d| d.code == Code::SyntaxMismatch)
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect()
    }

    #[test]
    fn examples_are_matched_against_every_line_of_the_http_request_section() {
        let mut page = String::from(
            "## HTTP request\n```http\nGET /Things/{id}\nPATCH /things/<thing-id>/\nPOST https://graph.microsoft.com/v1.0/things?$x=1\nDELETE /things/{id}/parts/{part-id}\nGET /a/x{b}y/c\n```\n\n## Examples\n",
        );
        for (name, line) in [
            ("get", "GET /things/1"),
            ("patch", "PATCH /THINGS/{other-id}"),
            ("post", "POST /things/"),
            ("get_all", "GET /things?$top=2"),
            ("wild", "GET /{p}/{q}"),
            ("put", "PUT /things/1"),
            ("delete", "DELETE /things/{id}/parts"),
            ("nowhere", "GET /elsewhere/1"),
            ("param_in_segment", "GET /A/anything/C/"),
            ("deep", "DELETE /things/{id}/parts/7"),
        ] {
            page.push_str(&example(name, line));
        }
        let section = "GET /Things/{id} (line 3), PATCH /things/{thing-id}/ (line 4), POST /things?$x=1 (line 5), DELETE /things/{id}/parts/{part-id} (line 6), GET /a/x{b}y/c (line 7)";
        assert_eq!(
            mismatches(&page),
            vec![
                // A query is no part of the path: only POST is documented for `/things`.
                format!(
                    "36: example uses GET but the HTTP request section documents {section} for this path"
                ),
                format!(
                    "52: example uses PUT but the HTTP request section documents {section} for this path"
                ),
                format!(
                    "60: example `DELETE /things/{{id}}/parts` matches no path of the HTTP request section: {section}"
                ),
                format!(
                    "68: example `GET /elsewhere/1` matches no path of the HTTP request section: {section}"
                ),
            ]
        );
    }

    #[test]
    fn the_syntax_index_agrees_with_comparing_every_line() {
        use super::syntax::{SyntaxIndex, SyntaxMatch};
        use crate::doc::http::paths_match;
        use crate::model::case::Method;
        // Every path of up to three segments from these, bare, with a trailing slash, with a query.
        let segs = ["a", "A", "b", "{x}", "<y>", "p{q}r", ""];
        let mut paths = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..3 {
            last = last
                .iter()
                .flat_map(|p| segs.iter().map(move |s| format!("{p}/{s}")))
                .collect();
            paths.extend(last.iter().cloned());
        }
        let paths: Vec<String> = paths
            .iter()
            .flat_map(|p| [p.clone(), format!("{p}/"), format!("{p}?$top=1")])
            .collect();
        let methods = [Method::Get, Method::Patch];
        let mut sets = 0;
        for start in (0..paths.len()).step_by(37) {
            let lines: Vec<(usize, Method, String)> = paths[start..]
                .iter()
                .step_by(101)
                .take(1 + start % 6)
                .enumerate()
                .map(|(i, p)| (i + 1, methods[(start + i) % 2], p.clone()))
                .collect();
            let index = SyntaxIndex::new(&lines);
            sets += 1;
            for path in &paths {
                for method in methods {
                    let same: Vec<_> = lines
                        .iter()
                        .filter(|(_, _, p)| paths_match(p, path))
                        .collect();
                    let want = if same.is_empty() {
                        SyntaxMatch::NoPath
                    } else if same.iter().any(|(_, m, _)| *m == method) {
                        SyntaxMatch::Documented
                    } else {
                        SyntaxMatch::OtherMethod
                    };
                    assert_eq!(
                        index.lookup(method, path),
                        want,
                        "{method} {path} in {lines:?}"
                    );
                }
            }
        }
        assert!(sets > 20);
    }

    #[test]
    fn keys_are_located_as_by_scanning_the_text() {
        // The first `"key"` after the previous key's, counting the lines before it.
        fn scan(text: &str, pointer: &str) -> usize {
            let mut pos = 0;
            for seg in pointer.split('/').skip(1) {
                if seg.parse::<usize>().is_ok() {
                    continue;
                }
                let key = seg.replace("~1", "/").replace("~0", "~");
                if let Some(i) = text[pos..].find(&format!("\"{key}\"")) {
                    pos += i;
                }
            }
            text[..pos].matches('\n').count()
        }
        let text = "{\n  \"a\": \"b\",\n  \"b\": {\"a\": [\n    {\"c\": \"a\"},\n    {\"c/d\": 1, \"e~f\": \"\"}\n  ]},\n  \"\": \"x\\\"y\",\n  \"q\\\"r\": 2,\n  \"é\": {\"b\": 3}\n}";
        let locator = super::bodies::KeyLocator::new(text);
        for pointer in [
            "",
            "/a",
            "/b",
            "/b/a",
            "/b/a/0/c",
            "/b/a/1/c~1d",
            "/b/a/1/e~0f",
            "/",
            "/q\"r",
            "/é/b",
            "/missing",
            "/b/missing/c",
            "/c",
            "/x\\",
            "/0/a",
        ] {
            assert_eq!(locator.line(pointer), scan(text, pointer), "{pointer}");
        }
        assert_eq!(locator.line("/b/a/1/c~1d"), 4);
        assert_eq!(locator.line("/é/b"), 8);
    }

    #[test]
    fn a_huge_http_request_section_is_listed_in_part() {
        let mut page = String::from("## HTTP request\n```http\n");
        for i in 0..60 {
            page.push_str(&format!("GET /things{i}\n"));
        }
        page.push_str("```\n");
        page.push_str(&example("nowhere", "GET /elsewhere"));
        let found = mismatches(&page);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("GET /things0 (line 3), GET /things1 (line 4), ")
                && found[0].ends_with("GET /things49 (line 52), and 10 more"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_header_required_by_two_tables_is_reported_once_per_example() {
        let table =
            "| Name | Description |\n|:--|:--|\n| Content-Type | application/json. Required. |\n\n";
        let page = format!(
            "## Request headers\n{table}## More headers\n{table}{}",
            example("post", "POST /things\n\n{\"a\": 1}")
        );
        let (_, diags) = extract_page("p.md", "p.md", &page);
        let missing: Vec<_> = diags
            .iter()
            .filter(|d| d.code == Code::MissingHeader)
            .collect();
        assert_eq!(missing.len(), 1, "{missing:?}");
    }
}
