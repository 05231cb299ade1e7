//! Renders the association figures of a table and a synthetic ROC, for looking at them:
//! `cargo run --release -p meshagents-stats --example render_plots -- associations.csv OUT_DIR`

use std::collections::BTreeMap;
use std::path::PathBuf;

use meshagents_stats::figures;
use meshagents_stats::phewas::read_associations;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [table, out] = args.as_slice() else {
        return Err("usage: render_plots ASSOCIATIONS OUT_DIR".into());
    };
    let rows = read_associations(&PathBuf::from(table))?;
    let out = PathBuf::from(out);
    let f = figures::manhattan(
        &rows,
        &out.join("manhattan"),
        &figures::ManhattanOptions::default(),
    )?;
    println!("{}", f.png.display());
    let f = figures::volcano(&rows, &out.join("volcano"), "Volcano", 6, &BTreeMap::new())?;
    println!("{}", f.png.display());
    let (f, lambda) = figures::qq(&rows, &out.join("qq"), "QQ")?;
    println!("{} lambda {lambda:.3}", f.png.display());
    let f = figures::forest(&rows, &out.join("forest"), 15, &BTreeMap::new())?;
    println!("{}", f.png.display());
    Ok(())
}
