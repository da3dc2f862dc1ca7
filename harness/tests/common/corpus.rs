//! The real Graph docs corpus beside the checkout: unpacked into a temp folder at run time
//! (nothing from it is committed), extracted and linted per API version.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use conform::extract::{self, Extraction, LintSources};
use conform::schema::SchemaSet;

/// The docs archive (11,289 pages of 2021-07).
pub const ARCHIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/graph-docs-2021-07.tar.gz"
);

/// The API versions of the corpus, as its folders and metadata files name them.
pub const VERSIONS: [&str; 2] = ["beta", "v1.0"];

/// Unpacks the docs archive into `into` (its pages end up under `api-reference/<version>/`).
pub fn unpack(into: &Path) {
    let file = std::fs::File::open(ARCHIVE).unwrap_or_else(|e| {
        panic!("the corpus is expected at {ARCHIVE} (the shared folder beside the checkout): {e}")
    });
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .unpack(into)
        .unwrap_or_else(|e| panic!("cannot unpack {ARCHIVE}: {e}"));
}

/// The CSDL metadata of one version.
pub fn metadata(version: &str) -> PathBuf {
    super::root()
        .join("..")
        .join("shared")
        .join("corpus")
        .join(format!("graph-{version}-metadata-2021-07-13.xml.gz"))
}

/// The pages of one version in an unpacked corpus.
pub fn pages(unpacked: &Path, version: &str) -> PathBuf {
    unpacked.join("api-reference").join(version)
}

/// One version of the corpus: its cases and diagnostics (linted against its metadata) and its
/// schemas.
pub struct Corpus {
    /// The version (`beta`, `v1.0`).
    pub version: String,
    /// The pages of that version.
    pub pages: PathBuf,
    /// Cases and diagnostics.
    pub extraction: Extraction,
    /// Every type of the version's metadata.
    pub schemas: Arc<SchemaSet>,
}

/// Extracts and lints one version of an unpacked corpus and generates its schemas.
pub fn load(unpacked: &Path, version: &str) -> Corpus {
    let pages = pages(unpacked, version);
    let meta = metadata(version);
    let sources = LintSources {
        schemas: None,
        report_no_schema: false,
        metadata: vec![(version.to_string(), meta.clone())],
    };
    let extraction = extract::extract_linted(std::slice::from_ref(&pages), &sources)
        .unwrap_or_else(|e| panic!("{e}"));
    let schemas = conform::schema::set_from_metadata(&meta).unwrap_or_else(|e| panic!("{e}"));
    Corpus {
        version: version.to_string(),
        pages,
        extraction,
        schemas: Arc::new(schemas),
    }
}
