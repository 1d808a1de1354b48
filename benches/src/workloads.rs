//! The list of what is measured (`benches/workloads.toml`): data, so that a
//! new guest joins every contender without code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything `jinn-bench run` measures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workloads {
    /// Per call, fresh sandbox.
    #[serde(default)]
    pub p1: Vec<Guest>,
    /// Instantiation alone.
    #[serde(default)]
    pub p2: Vec<Builtin>,
    /// The gateway under HTTP load.
    #[serde(default)]
    pub p3: Vec<Route>,
    /// Figures that other work provides.
    #[serde(default)]
    pub p4: Vec<Pending>,
    /// Gateway start-up and idle memory.
    pub p5: StartUp,
}

/// A guest called with one request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    /// Its name in the report.
    pub name: String,
    /// The module, relative to the repository root.
    pub wasm: PathBuf,
    /// The native function doing the same work, if any.
    pub native: Option<String>,
    /// Whether the peers (wasmtime) can run it: only WASI imports.
    #[serde(default = "yes")]
    pub peers: bool,
    /// Request method. Default `POST`.
    #[serde(default = "post")]
    pub method: String,
    /// Request URI. Default `/echo?x=1`.
    #[serde(default = "echo_uri")]
    pub uri: String,
    /// Request body. Default a small JSON document.
    #[serde(default = "json_body")]
    pub body: String,
    /// Request headers. Default `Content-Type: application/json`.
    #[serde(default = "json_headers")]
    pub headers: BTreeMap<String, Vec<String>>,
}

/// A hand-written module of `lib.rs` ([`crate::builtin`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Builtin {
    /// Its name in the report.
    pub name: String,
    /// Which module.
    pub builtin: String,
}

/// A function served over HTTP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Its name in the report.
    pub name: String,
    /// The module, relative to the repository root.
    pub wasm: PathBuf,
    /// The path requested.
    pub path: String,
    /// The native server answering the same (`hyper-echo`).
    pub native: Option<String>,
}

/// A row another piece of work fills.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// What would be measured.
    pub name: String,
    /// Why it is not yet.
    pub pending: String,
}

/// Gateway start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartUp {
    /// Function counts measured.
    pub counts: Vec<usize>,
    /// Modules, taken in turn.
    pub modules: Vec<PathBuf>,
}

fn yes() -> bool {
    true
}
fn post() -> String {
    "POST".into()
}
fn echo_uri() -> String {
    "/echo?x=1".into()
}
fn json_body() -> String {
    r#"{"sensor":"t1","value":42.5}"#.into()
}
fn json_headers() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([("Content-Type".into(), vec!["application/json".into()])])
}

impl Workloads {
    /// Reads the list.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or parsed (the message names it).
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Guest {
    /// The request envelope this guest is called with.
    pub fn envelope(&self) -> Vec<u8> {
        let mut request = jinn_core::Request {
            method: self.method.clone(),
            uri: self.uri.clone(),
            body: self.body.clone().into_bytes(),
            ..jinn_core::Request::default()
        };
        for (name, values) in &self.headers {
            request.headers.insert(name.clone(), values.clone());
        }
        request.to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_list_parses_and_names_existing_sources() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let w = Workloads::read(&root.join("benches/workloads.toml")).unwrap();
        assert!(w.p1.iter().any(|g| g.name == "echo"));
        assert!(w.p2.iter().all(|m| crate::builtin(&m.builtin).is_some()));
        assert!(!w.p5.modules.is_empty() && w.p5.counts.contains(&50));
        let envelope = w.p1[0].envelope();
        assert!(jinn_core::Request::from_json(&envelope).is_ok());
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let bad = "[p5]\ncounts = [1]\nmodules = []\nextra = 1\n";
        assert!(toml::from_str::<Workloads>(bad).is_err());
    }
}
