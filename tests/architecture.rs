//! The dependency edges between workspace crates are the ones ARCHITECTURE.md allows: its
//! `allowed-dependencies` block is read here and compared with `cargo metadata`, so the
//! document and the build cannot disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// `crate -> allowed dependencies`, from the fenced `allowed-dependencies` block.
fn allowed_edges(architecture: &str) -> BTreeMap<String, BTreeSet<String>> {
    let start = architecture
        .find("```allowed-dependencies\n")
        .expect("ARCHITECTURE.md has no ```allowed-dependencies block");
    let body = &architecture[start + "```allowed-dependencies\n".len()..];
    let end = body
        .find("```")
        .expect("the allowed-dependencies block is not closed");
    let mut allowed = BTreeMap::new();
    for line in body[..end].lines().filter(|l| !l.trim().is_empty()) {
        let (from, to) = line
            .split_once("->")
            .unwrap_or_else(|| panic!("not `crate -> deps`: {line:?}"));
        let to: BTreeSet<String> = to
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect();
        let previous = allowed.insert(from.trim().to_string(), to);
        assert!(previous.is_none(), "{} is listed twice", from.trim());
    }
    allowed
}

/// Each workspace member's dependencies on other workspace members, with their kind.
fn actual_edges() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .expect("cannot run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages: Vec<&Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .collect();
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut edges = BTreeMap::new();
    for package in &packages {
        let name = package["name"].as_str().expect("package name");
        let mut deps = BTreeSet::new();
        for dep in package["dependencies"].as_array().expect("dependencies") {
            let dep_name = dep["name"].as_str().expect("dependency name");
            if dep_name == name || !names.contains(dep_name) {
                continue;
            }
            let kind = dep["kind"].as_str().unwrap_or("normal").to_string();
            deps.insert((dep_name.to_string(), kind));
        }
        edges.insert(name.to_string(), deps);
    }
    edges
}

#[test]
fn dependency_edges_are_the_ones_architecture_md_allows() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md");
    let architecture = std::fs::read_to_string(&path).expect("ARCHITECTURE.md");
    let allowed = allowed_edges(&architecture);
    let actual = actual_edges();

    let listed: BTreeSet<&String> = allowed.keys().collect();
    let members: BTreeSet<&String> = actual.keys().collect();
    assert_eq!(
        listed, members,
        "ARCHITECTURE.md's allowed-dependencies must list every workspace crate, and only those"
    );
    for (from, to) in &allowed {
        for dep in to {
            assert!(
                actual.contains_key(dep),
                "ARCHITECTURE.md allows {from} -> {dep}, but {dep} is not a workspace crate"
            );
        }
    }

    let mut forbidden = Vec::new();
    for (from, deps) in &actual {
        for (dep, kind) in deps {
            if !allowed[from].contains(dep) {
                forbidden.push(format!("{from} -> {dep} ({kind})"));
            }
        }
    }
    assert!(
        forbidden.is_empty(),
        "dependency edges that ARCHITECTURE.md does not allow:\n  {}",
        forbidden.join("\n  ")
    );
}

#[test]
fn the_parser_reads_a_block() {
    let text = "x\n```allowed-dependencies\na -> b, c\nb ->\n\nc->\n```\n";
    let allowed = allowed_edges(text);
    assert_eq!(allowed.len(), 3);
    assert_eq!(
        allowed["a"],
        ["b", "c"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>()
    );
    assert!(allowed["b"].is_empty() && allowed["c"].is_empty());
}
