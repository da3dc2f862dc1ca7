//! Keeps `schemas/` honest: the generated files are what the metadata gives, and every schema compiles.

mod common;
use common::{beta_metadata, root};

use conform::schema::{self, SchemaSet};
use serde_json::json;

/// The seed pages' resource types; every other generated schema is in their closure.
const ROOTS: [&str; 3] = [
    "microsoft.graph.userSecurityProfile",
    "microsoft.graph.hostSecurityProfile",
    "microsoft.graph.ipSecurityProfile",
];

/// Schemas written by hand because the metadata lacks their types.
const HAND_WRITTEN: [&str; 1] = ["microsoft.graph.security.security"];

#[test]
fn committed_schemas_are_what_the_metadata_gives() {
    let metadata = beta_metadata();
    let meta = schema::read_metadata(&metadata).unwrap_or_else(|e| panic!("{e}"));
    let roots: Vec<String> = ROOTS.iter().map(|s| s.to_string()).collect();
    let docs = schema::generate(&meta, &roots).unwrap_or_else(|e| panic!("{e}"));
    let mut generated: Vec<String> = Vec::new();
    for (name, doc) in &docs {
        let path = root().join("schemas").join(format!("{name}.json"));
        let committed =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            committed,
            schema::schema_file_text(doc),
            "{} differs from the metadata; regenerate with `cargo run -- schemas --metadata {} {} --out schemas`",
            path.display(),
            metadata.display(),
            ROOTS
                .iter()
                .map(|r| format!("--type {r}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        generated.push(format!("{name}.json"));
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("schemas"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected = generated;
    expected.extend(HAND_WRITTEN.iter().map(|h| format!("{h}.json")));
    expected.sort();
    assert_eq!(
        on_disk, expected,
        "schemas/ holds files that are neither generated nor known hand-written ones"
    );
}

#[test]
fn every_committed_schema_compiles_and_judges() {
    let set = SchemaSet::load_dir(&root().join("schemas")).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = set.names().map(str::to_string).collect();
    assert_eq!(names.len(), 14);
    for name in &names {
        // Compiling happens on first validation; a number is wrong for every type here.
        let findings = set
            .validate(name, &json!(42))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!findings.is_empty(), "{name} accepts 42");
    }
    assert!(set.is_derived_from(
        "microsoft.graph.hostSecurityProfile",
        "microsoft.graph.entity"
    ));
    assert!(set.is_derived_from(
        "microsoft.graph.security.security",
        "microsoft.graph.entity"
    ));
}

#[test]
fn metadata_read_only_marks_become_read_only_properties() {
    let metadata = beta_metadata();
    let meta = schema::read_metadata(&metadata).unwrap_or_else(|e| panic!("{e}"));
    let booking = meta
        .schema_for("microsoft.graph.bookingAppointment")
        .unwrap_or_else(|e| panic!("{e}"));
    // Core.Computed in an out-of-line <Annotations Target="…/duration">.
    assert_eq!(booking["properties"]["duration"]["readOnly"], json!(true));
    assert!(
        booking["properties"]["customerName"]
            .get("readOnly")
            .is_none()
    );
    // Core.Permissions Read.
    let dm = meta
        .schema_for("microsoft.graph.deviceManagement")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        dm["properties"]["lastReportAggregationDateTime"]["readOnly"],
        json!(true)
    );
}
