//! Reading a module from disk: binary `.wasm`, or `.wat` text for hand-written guests.

use std::path::Path;

/// A module file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModuleFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Reads `path`. A `.wat` file is translated to binary; if that fails, its
/// bytes are handed on as they are so that validation reports the problem
/// as `invalid_module`.
///
/// # Errors
///
/// [`ModuleFileError::Read`] when the file cannot be read.
pub fn read(path: &Path) -> Result<Vec<u8>, ModuleFileError> {
    let bytes = std::fs::read(path).map_err(|source| ModuleFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "wat") {
        return Ok(wat::parse_bytes(&bytes)
            .map(|b| b.into_owned())
            .unwrap_or(bytes));
    }
    Ok(bytes)
}
