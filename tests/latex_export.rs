//! Issue 17: the LaTeX tables compile and fit. Studies run through the real binary on
//! simulated cohorts (several seeds and scenarios, one with a dictionary of long descriptions
//! full of LaTeX's special characters), `study export --format tex` writes their tables in
//! every layout (portrait and landscape, each type size), and every `.tex` is compiled as an
//! author would, `\input` into a plain `article` by pdflatex. Any error, and any overfull box
//! of more than 1 pt, fails.
//!
//! pdflatex comes from Debian's texlive-latex-base and texlive-latex-recommended (`.ci/run`
//! installs them); without it the test says so and passes, except under CI=true.

use std::path::Path;
use std::process::Command;

mod common;
use common::{meshagents_in as meshagents, simulate_csv, stderr};
use meshagents_stats::data::dictionary::{Dictionary, Role};

/// pdflatex on the PATH; its absence fails under CI=true.
fn pdflatex_available() -> bool {
    let found = Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdflatex is missing under CI=true: .ci/run installs texlive-latex-base and texlive-latex-recommended"
        );
        eprintln!(
            "skipped: pdflatex is not installed (texlive-latex-base, texlive-latex-recommended)"
        );
    }
    found
}

/// Every factor's description made 120 characters long, with the characters LaTeX treats
/// apart and words too long for a narrow column.
fn long_descriptions(dictionary: &Path) {
    let mut d = Dictionary::read_csv(dictionary).unwrap();
    let extras = [
        "weighted_by_visit & adjusted 100% for age_at_recruitment",
        "Physical_activity_minutes_per_week_including_commuting_by_bicycle",
        "#1 of {3} ~ $5 ^ \\ <10> | µmol/L at 37°C, β – “quoted”",
    ];
    for (k, e) in d
        .entries
        .iter_mut()
        .filter(|e| e.role == Role::Factor)
        .enumerate()
    {
        let long = format!(
            "{} ({}) {}",
            e.description,
            extras[k % 3],
            "and more words ".repeat(8)
        );
        e.description = long.chars().take(120).collect();
    }
    d.write_csv(dictionary).unwrap();
}

/// A finished study in `dir/out` on a simulated cohort of `seed` (and `extra` simulate
/// flags), its dictionary made long when `long` says so.
fn study(dir: &Path, seed: &str, extra: &[&str], long: bool) {
    simulate_csv(dir, "cohort", "600", seed, extra);
    if long {
        long_descriptions(&dir.join("cohort/dictionary.csv"));
    }
    std::fs::write(
        dir.join("STUDY.toml"),
        "name = \"latex\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\n",
    )
    .unwrap();
    let run = meshagents(dir, &["study", "run", "STUDY.toml", "--out", "out"]);
    assert!(run.status.success(), "{}", stderr(&run));
}

/// What pdflatex said of one document: its pages, and every problem (an error, an overfull
/// box over 1 pt) as a line of its log.
struct Compiled {
    pages: usize,
    problems: Vec<String>,
}

/// Compiles `tex` inside a minimal article with pdflatex in `dir`.
fn compile(dir: &Path, tex: &Path, name: &str) -> Compiled {
    let document = format!(
        "\\documentclass{{article}}\n\\usepackage{{booktabs,longtable,array,pdflscape}}\n\\begin{{document}}\n\\input{{{}}}\n\\end{{document}}\n",
        tex.display()
    );
    std::fs::write(dir.join(format!("{name}.tex")), document).unwrap();
    let run = Command::new("pdflatex")
        .current_dir(dir)
        .args(["-interaction=nonstopmode", "-halt-on-error"])
        .arg(format!("{name}.tex"))
        .output()
        .expect("pdflatex runs");
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    let mut problems: Vec<String> = log
        .lines()
        .filter(|l| l.starts_with('!'))
        .map(str::to_string)
        .collect();
    for line in log.lines().filter(|l| l.starts_with("Overfull \\")) {
        // "Overfull \hbox (12.3pt too wide) in paragraph at lines 20--20"
        let points = line
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once("pt"))
            .and_then(|(v, _)| v.parse::<f64>().ok())
            .unwrap_or(f64::INFINITY);
        if points > 1.0 {
            problems.push(line.to_string());
        }
    }
    if !run.status.success() && problems.is_empty() {
        problems.push(format!(
            "pdflatex failed: {}",
            String::from_utf8_lossy(&run.stdout)
        ));
    }
    let pages = log
        .split("Output written on ")
        .nth(1)
        .and_then(|rest| rest.split_once('(').map(|(_, r)| r))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Compiled { pages, problems }
}

/// Exports `dir/out`'s tables in each layout and compiles every `.tex` written; returns
/// the pages of the association table in portrait at the document's size.
fn export_and_compile(dir: &Path) -> usize {
    let layouts: [(&str, &[&str]); 5] = [
        ("portrait", &[]),
        ("landscape", &["--latex-landscape"]),
        ("small", &["--latex-size", "small"]),
        (
            "footnotesize",
            &["--latex-size", "footnotesize", "--top", "10"],
        ),
        (
            "scriptsize-landscape",
            &["--latex-size", "scriptsize", "--latex-landscape"],
        ),
    ];
    let mut failures = Vec::new();
    let mut portrait_pages = 0;
    for (layout, flags) in layouts {
        let export = format!("paper-{layout}");
        let mut args = vec!["study", "export", "out", "--format", "tex", "--no-figures"];
        args.extend(["--out", &export]);
        args.extend(flags);
        let run = meshagents(dir, &args);
        assert!(run.status.success(), "{layout}: {}", stderr(&run));
        for table in ["associations", "classification"] {
            let tex = dir.join(&export).join(format!("{table}.tex"));
            assert!(tex.is_file(), "{layout}: {table}.tex not written");
            let text = std::fs::read_to_string(&tex).unwrap();
            assert!(
                text.starts_with("% ")
                    && text
                        .contains("% Needs in the preamble: \\usepackage{booktabs,longtable,array"),
                "{layout}: {table}.tex says what it needs"
            );
            let compiled = compile(&dir.join(&export), &tex, &format!("{table}-doc"));
            assert!(compiled.pages > 0, "{layout}: {table}.tex made no page");
            if layout == "portrait" && table == "associations" {
                portrait_pages = compiled.pages;
            }
            failures.extend(
                compiled
                    .problems
                    .into_iter()
                    .map(|p| format!("{layout}/{table}.tex: {p}")),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    portrait_pages
}

#[test]
fn every_exported_latex_table_compiles_without_an_overfull_box() {
    if !pdflatex_available() {
        return;
    }
    // Long descriptions with every special character, then two other cohorts and scenarios.
    for (seed, extra, long) in [
        ("9", &[][..], true),
        ("21", &["--scenario", "mediator"][..], false),
        (
            "5",
            &["--scenario", "factor-confounder", "--factors", "40"][..],
            false,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        study(dir.path(), seed, extra, long);
        let pages = export_and_compile(dir.path());
        // 82 phenotypes with 3 hits each do not fit one page: the longtable breaks.
        assert!(
            pages > 1,
            "seed {seed}: the association table has {pages} page(s)"
        );
    }
}
