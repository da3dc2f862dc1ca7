//! Property tables against the metadata.

use crate::doc::{Code, Diagnostic, Page, Severity};
use crate::model::case::Case;
use crate::schema::SchemaSet;

/// Plain text of a table cell: markdown links as their text, emphasis and code marks dropped.
pub(super) fn cell_text(cell: &str) -> String {
    cell.replace(['*', '`'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lints the page's property tables against the metadata of the page's one resource type.
pub(crate) fn lint_tables(
    page: &Page,
    cases: &[Case],
    schemas: &SchemaSet,
    display: &str,
) -> Vec<Diagnostic> {
    let mut types: Vec<&str> = cases
        .iter()
        .filter_map(|c| c.response.odata_type.as_deref())
        .collect();
    types.sort();
    types.dedup();
    let [type_name] = types[..] else {
        return Vec::new();
    };
    let Some(props) = schemas.properties(type_name) else {
        return Vec::new();
    };
    let mut diags = Vec::new();
    for table in &page.tables {
        let header: Vec<String> = table
            .header
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        if header.first().map(String::as_str) != Some("property")
            || header.get(1).map(String::as_str) != Some("type")
        {
            continue;
        }
        for (i, row) in table.rows.iter().enumerate() {
            // Rows follow the header and its delimiter line, one line each.
            let line = table.line + 2 + i;
            let name = cell_text(row.first().map(String::as_str).unwrap_or(""));
            let documented = cell_text(row.get(1).map(String::as_str).unwrap_or(""));
            // `files/isDefault` describes a nested property, not one of the type's own.
            if name.is_empty() || name.contains(['/', '.']) {
                continue;
            }
            let Some(prop) = props.get(&name) else {
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line,
                    severity: Severity::Warning,
                    code: Code::TableMismatch,
                    message: format!("property table lists `{name}`, which {type_name} does not declare in the metadata"),
                });
                continue;
            };
            let expected = schemas.describe(prop);
            // Tables write `alertStatus enum`, `Edm.String` or the namespaced name; all mean the same.
            let norm = |s: &str| {
                let s = s
                    .to_ascii_lowercase()
                    .replace("edm.", "")
                    .replace(" enum", "");
                // Informal names (`Float`, `Integer`, `Bool`, `DateTime`) mean the EDM types they name.
                s.split(' ')
                    .map(|w| match w.rsplit('.').next().unwrap_or(w) {
                        "float" | "single" => "double",
                        "int" | "integer" => "int32",
                        "long" => "int64",
                        "bool" => "boolean",
                        "datetime" => "datetimeoffset",
                        other => other,
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if !documented.is_empty() && norm(&documented) != norm(&expected) {
                diags.push(Diagnostic {
                    file: display.to_string(),
                    line,
                    severity: Severity::Warning,
                    code: Code::TableMismatch,
                    message: format!(
                        "property table gives `{name}` the type `{documented}`; the metadata says `{expected}`"
                    ),
                });
            }
        }
    }
    diags
}
