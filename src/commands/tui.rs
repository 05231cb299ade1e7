//! `meshagents tui`: the terminal UI over the studies under ROOT; it runs studies as children
//! of this same binary.

use std::path::PathBuf;

use anyhow::{Context, Result};

pub fn run(root: PathBuf) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the meshagents binary")?;
    Ok(meshagents_tui::run(root, exe)?)
}
