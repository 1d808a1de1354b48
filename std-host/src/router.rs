//! Routes requests to functions: exact paths first, then the longest prefix.
//! A prefix matches at segment boundaries: `/a` matches `/a` and `/a/b`,
//! never `/ab`. A path that matches with another method gets `405`.

use std::collections::HashMap;

use crate::config::{FunctionSpec, RouteKind};

#[derive(Debug, Clone)]
struct Target {
    methods: Vec<String>,
    function: usize,
}

impl Target {
    fn allows(&self, method: &str) -> bool {
        self.methods.is_empty() || self.methods.iter().any(|m| m == method)
    }
}

/// The result of routing a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The index of the function.
    Function(usize),
    /// The path is routed, not for this method; the allowed methods.
    MethodNotAllowed(Vec<String>),
    /// Nothing matches.
    NotFound,
}

/// Routing table of one configuration.
#[derive(Debug, Clone, Default)]
pub struct Router {
    exact: HashMap<String, Vec<Target>>,
    /// Longest first.
    prefixes: Vec<(String, Vec<Target>)>,
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

impl Router {
    /// Builds the table of `functions` (indices refer to this slice).
    pub fn new(functions: &[FunctionSpec]) -> Self {
        let mut router = Self::default();
        let mut prefixes: HashMap<String, Vec<Target>> = HashMap::new();
        for (i, f) in functions.iter().enumerate() {
            for r in &f.routes {
                let target = Target {
                    methods: r.methods.clone(),
                    function: i,
                };
                match r.kind {
                    RouteKind::Path => router.exact.entry(r.path.clone()).or_default().push(target),
                    RouteKind::Prefix => prefixes.entry(r.path.clone()).or_default().push(target),
                }
            }
        }
        router.prefixes = prefixes.into_iter().collect();
        router
            .prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        router
    }

    /// Routes `method` `path` (without the query).
    pub fn find(&self, method: &str, path: &str) -> Found {
        let candidates = self.exact.get(path).into_iter().chain(
            self.prefixes
                .iter()
                .filter(|(p, _)| prefix_matches(p, path))
                .map(|(_, t)| t),
        );
        let mut allowed: Vec<String> = Vec::new();
        for targets in candidates {
            if let Some(t) = targets.iter().find(|t| t.allows(method)) {
                return Found::Function(t.function);
            }
            for t in targets {
                for m in &t.methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        if allowed.is_empty() {
            Found::NotFound
        } else {
            Found::MethodNotAllowed(allowed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Location, Route};

    fn f(routes: &[(RouteKind, &str, &[&str])]) -> FunctionSpec {
        let at = Location {
            file: String::new(),
            line: 1,
            column: 1,
            key: String::new(),
        };
        FunctionSpec {
            name: "f".into(),
            module: "m".into(),
            module_at: at.clone(),
            routes: routes
                .iter()
                .map(|(kind, path, methods)| Route {
                    kind: *kind,
                    path: (*path).into(),
                    methods: methods.iter().map(|m| (*m).into()).collect(),
                    at: at.clone(),
                })
                .collect(),
            manifest: Default::default(),
            timeout: std::time::Duration::from_secs(1),
            api_keys: vec![],
            quota: None,
            record_crashes: false,
            signature: Default::default(),
            mounts: Vec::new(),
            mounts_at: Vec::new(),
            mqtt: Vec::new(),
            timers: Vec::new(),
        }
    }

    #[test]
    fn exact_then_longest_prefix_at_segment_boundaries() {
        let r = Router::new(&[
            f(&[(RouteKind::Prefix, "/a", &[])]),
            f(&[(RouteKind::Prefix, "/a/b", &[])]),
            f(&[(RouteKind::Path, "/a/b/c", &[])]),
            f(&[(RouteKind::Prefix, "/d/", &[])]),
        ]);
        assert_eq!(r.find("GET", "/a"), Found::Function(0));
        assert_eq!(r.find("GET", "/a/x"), Found::Function(0));
        assert_eq!(r.find("GET", "/ab"), Found::NotFound);
        assert_eq!(r.find("GET", "/a/b/x"), Found::Function(1));
        assert_eq!(r.find("GET", "/a/b/c"), Found::Function(2));
        assert_eq!(r.find("GET", "/d/x"), Found::Function(3));
        assert_eq!(r.find("GET", "/d"), Found::NotFound);
    }

    #[test]
    fn methods_are_checked() {
        let r = Router::new(&[
            f(&[(RouteKind::Path, "/s", &["POST"])]),
            f(&[(RouteKind::Path, "/s", &["GET"])]),
        ]);
        assert_eq!(r.find("POST", "/s"), Found::Function(0));
        assert_eq!(r.find("GET", "/s"), Found::Function(1));
        assert_eq!(
            r.find("PUT", "/s"),
            Found::MethodNotAllowed(vec!["POST".into(), "GET".into()])
        );
    }
}
