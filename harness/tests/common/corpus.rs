//! The real Graph docs corpus beside the checkout: unpacked under the target dir at run time
//! (nothing from it is committed), extracted and linted per API version.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use conform::extract::{self, Extraction, LintSources};
use conform::schema::SchemaSet;

/// The docs archive (11,289 pages of 2021-07).
pub const ARCHIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/graph-docs-2021-07.tar.gz"
);

/// The API versions of the corpus, as its folders and metadata files name them.
pub const VERSIONS: [&str; 2] = ["beta", "v1.0"];

/// The unpacked docs archive (its pages are under `api-reference/<version>/`), shared by the
/// tests of a binary and kept between runs: creating its 11,289 files takes seconds, nearly all
/// of it in the file system, so it is unpacked once per archive, into a folder of the target dir
/// named by the archive's size and modification time. Tests only read it.
pub fn unpacked() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let meta = std::fs::metadata(ARCHIVE).unwrap_or_else(|e| {
            panic!(
                "the corpus is expected at {ARCHIVE} (the shared folder beside the checkout): {e}"
            )
        });
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = cache.join(format!("graph-docs-{}-{mtime}", meta.len()));
        if dir.is_dir() {
            return dir;
        }
        // Unpacked beside it, then renamed into place: the folder is never seen half written,
        // even by another test binary unpacking at the same time (one rename wins, the other
        // copy is dropped).
        let fresh = tempfile::Builder::new()
            .prefix("graph-docs-unpacking-")
            .tempdir_in(cache)
            .unwrap_or_else(|e| panic!("{}: {e}", cache.display()));
        unpack(fresh.path());
        if let Err(e) = std::fs::rename(fresh.path(), &dir)
            && !dir.is_dir()
        {
            panic!("cannot move the unpacked corpus to {}: {e}", dir.display());
        }
        dir
    })
}

/// Unpacks the docs archive into `into` (its pages end up under `api-reference/<version>/`).
fn unpack(into: &Path) {
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

/// One version of the corpus, extracted, linted and given schemas once per test binary (that
/// takes seconds), for every test that reads it.
pub fn loaded(version: &str) -> &'static Corpus {
    static LOADED: [OnceLock<Corpus>; VERSIONS.len()] = [const { OnceLock::new() }; VERSIONS.len()];
    let i = VERSIONS
        .iter()
        .position(|v| *v == version)
        .unwrap_or_else(|| panic!("the corpus has no version {version}"));
    LOADED[i].get_or_init(|| load(unpacked(), version))
}

/// Extracts and lints one version of an unpacked corpus and generates its schemas.
fn load(unpacked: &Path, version: &str) -> Corpus {
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
