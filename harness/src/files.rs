//! Folders of JSON files (cases, schemas), listed in a stable order.

use std::path::{Path, PathBuf};

/// The `*.json` files directly in a folder, sorted by path.
pub fn json_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
