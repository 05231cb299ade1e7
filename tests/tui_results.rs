//! End to end (issue 17, items 1, 2, 7 and 8): the TUI's results screen on a study of a
//! simulated cohort with binary factors, driven in tmux as a user would. A filter made of
//! words from the dictionary's description of a binary factor finds its rows; a logistic
//! row reads as fitted with its odds ratio (checked against exp(beta) of associations.csv);
//! `d` switches the factor column; the Manhattan cursor moves and the detail pane follows;
//! the export is named after the filter and a second one asks before overwriting.
//!
//! Skips (with a message) when tmux is missing, except under CI (`CI=true`), where it fails.
//! No wall-clock limit: every wait ends on what the screen shows.

use std::path::Path;

mod common;

use common::tmux::Tmux;
use meshagents_stats::data::dictionary::Dictionary;
use meshagents_stats::phewas::AssociationRow;

/// A finished study `root/binary` on a simulated cohort, with fixed covariates (no panel).
fn study(tmp: &Path) -> std::path::PathBuf {
    common::simulate_csv(tmp, "cohort", "600", "3", &[]);
    std::fs::write(
        tmp.join("STUDY.toml"),
        "name = \"binary\"\ndata = \"cohort/cohort.csv\"\ndictionary = \"cohort/dictionary.csv\"\ncovariates = \"age,sex\"\n",
    )
    .unwrap();
    let dir = tmp.join("studies/binary");
    let out = common::meshagents_in(
        tmp,
        &[
            "study",
            "run",
            "STUDY.toml",
            "--out",
            dir.to_str().unwrap(),
            "--headless",
        ],
    );
    assert!(out.status.success(), "{}", common::text(&out));
    dir
}

/// The words a user would type for a factor: the first word of its description and the
/// first three letters of the second ("atrial fib"), lower case.
fn words_for(description: &str) -> Vec<String> {
    let words: Vec<String> = description
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3)
        .map(str::to_lowercase)
        .take(2)
        .collect();
    assert_eq!(words.len(), 2, "two words in {description:?}");
    vec![words[0].clone(), words[1][..3].to_string()]
}

#[test]
fn results_of_binary_factors_read_as_fitted_with_odds_ratios_in_tmux() {
    if !common::tmux::available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = study(tmp.path());
    let rows = meshagents_stats::phewas::read_associations(&dir.join("associations.csv"))
        .expect("associations.csv");
    let dictionary =
        Dictionary::read_csv(&tmp.path().join("cohort/dictionary.csv")).expect("dictionary");
    let describe = |column: &str| {
        dictionary
            .get(column)
            .map(|e| (e.description.clone(), e.category.clone()))
            .unwrap_or_default()
    };
    // The logistic row with the smallest p: its factor's description gives the words.
    let logistic = |r: &&AssociationRow| r.model == "logistic" && !r.p.is_nan();
    let top = rows
        .iter()
        .filter(logistic)
        .min_by(|a, b| a.p.total_cmp(&b.p))
        .expect("a logistic row");
    let words = words_for(&describe(&top.factor).0);
    let holds_words = |r: &AssociationRow| {
        let (pd, _) = describe(&r.phenotype);
        let (fd, fc) = describe(&r.factor);
        // One line per field: a word holds no line break, so it never spans two fields.
        let text = format!(
            "{}\n{pd}\n{}\n{fd}\n{fc}\n{}\n{}\n{}",
            r.phenotype, r.factor, r.category, r.model, r.status
        )
        .to_lowercase();
        words.iter().all(|w| text.contains(w.as_str()))
    };
    let mut found: Vec<&AssociationRow> = rows.iter().filter(|r| holds_words(r)).collect();
    found.sort_by(|a, b| {
        let key = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
        key(a.p).total_cmp(&key(b.p))
    });
    assert!(found.len() < rows.len() && found.iter().any(|r| r.factor == top.factor));
    eprintln!("filter {words:?}: {} of {} rows", found.len(), rows.len());

    let tmux = Tmux::start("results", &tmp.path().join("studies"), tmp.path(), 120, 34);
    tmux.wait_for_all(&["binary", "finished"], "");
    tmux.keys(&["Enter"]);
    tmux.wait_for("associations, sorted by p", "");

    // The filter: the rows holding both words, the logistic one as fitted with its OR.
    let filter = words.join(" ");
    tmux.keys(&["/"]);
    tmux.text(&filter);
    tmux.keys(&["Enter"]);
    let count = format!(" {} of {} associations", found.len(), rows.len());
    let screen = tmux.wait_for_all(&[&count, &format!("filter: {filter} ")], "");
    let first = found[0];
    assert!(first.odds_ratio().is_some(), "{first:?}");
    let short = if first.model == "firth" {
        "firth"
    } else {
        "logit"
    };
    let or = format!(
        "OR {:.2} ({:.2}, {:.2})",
        first.beta.exp(),
        first.ci_low.exp(),
        first.ci_high.exp()
    );
    assert!(screen.contains(&or), "{or}:\n{screen}");
    let fitted = format!("~ {} ", first.phenotype);
    let row = screen
        .lines()
        .find(|l| l.contains(&or))
        .expect("the logistic row");
    assert!(
        row.contains(&first.factor) && row.contains(&fitted) && row.contains(short),
        "factor ~ phenotype: {row}"
    );
    assert!(
        screen.contains(&format!("OR {:.2} (95% CI", first.beta.exp()))
            && screen.contains("log odds ratio"),
        "detail pane:\n{screen}"
    );

    // The factor column: ids, descriptions, both again; the detail pane keeps both.
    let (description, _) = describe(&first.factor);
    let head: String = description.chars().take(12).collect();
    tmux.keys(&["d"]);
    let ids = tmux.wait_for("as fitted (factor: id)", "");
    let row = ids.lines().find(|l| l.contains(&or)).expect("the row");
    assert!(
        row.contains(&format!("{} ~ {}", first.factor, first.phenotype)) && !row.contains(&head),
        "{row}"
    );
    assert!(ids.contains(&format!("factor {}: {head}", first.factor)));
    tmux.keys(&["d"]);
    let described = tmux.wait_for("as fitted (factor: description)", "");
    let row = described
        .lines()
        .find(|l| l.contains(&or))
        .expect("the row");
    assert!(row.contains(&head) && !row.contains(&first.factor), "{row}");
    tmux.keys(&["d"]);
    tmux.wait_for("as fitted (factor: id  description)", "");

    // The Manhattan chart: the cursor starts on the highest point; Down goes to the next
    // lower one, and the detail pane shows its model as fitted.
    tmux.keys(&["m"]);
    let formula = |r: &AssociationRow| r.formula();
    let plot = tmux.wait_for_all(&["◆", "line Bonferroni"], "");
    assert!(plot.contains(&formula(first)), "{plot}");
    let second = found[1];
    assert!(second.p > first.p, "no tie between the two highest points");
    tmux.keys(&["Down"]);
    let plot = tmux.wait_for(&format!("◆ {}", formula(second)), "");
    assert!(
        plot.contains(&format!("factor {}: ", second.factor)),
        "detail pane:\n{plot}"
    );
    tmux.keys(&["Up"]);
    tmux.wait_for(&format!("◆ {}", formula(first)), "");
    tmux.keys(&["m"]);
    tmux.wait_for("β or OR (95% CI)", "");

    // The export is named after the filter; a second one asks, n keeps the file, y writes.
    let name = format!("associations.{}.csv", words.join("-"));
    let path = dir.join(&name);
    tmux.keys(&["x", "c"]);
    tmux.wait_for(&format!("{name} ({} rows)", found.len()), "export failed");
    let exported = std::fs::read_to_string(&path).expect("the export");
    assert_eq!(exported.lines().count(), found.len() + 1);
    std::fs::write(&path, "kept\n").unwrap();
    tmux.keys(&["x", "c"]);
    tmux.wait_for(&format!("{name} exists: overwrite it? y/n"), "");
    tmux.keys(&["n"]);
    tmux.wait_for("export cancelled", "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\n");
    tmux.keys(&["x", "c", "y"]);
    tmux.wait_for(&format!("wrote {}", path.display()), "export failed");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), exported);

    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_code(), "0", "q exits with code 0");
}

/// `meshagents tui --help` names every screen's keys (the `?` help of each screen).
#[test]
fn tui_help_lists_the_results_keys() {
    let out = common::meshagents(&["tui", "--help"]);
    assert!(out.status.success());
    let help = common::text(&out);
    for key in [
        "s  sort: p, effect (|z|), phenotype",
        "d  factor column: id and description, id, description",
        "/  filter",
        "m  Manhattan plot / table; on the plot Left/Right previous/next point",
        "x  export the rows shown (CSV, TSV, Markdown) to associations.FILTER.EXT;",
        "y/n before overwriting a file",
        "c  classification table",
        "Enter  detail: on a VOTE, every agent's include/confidence/rationale",
        "C  compare: the selected fork with its parent",
        "Preview: Up/Down PgUp/PgDn scroll; Enter writes it, starts, opens the live panel",
        "Everywhere: ? help   q quit",
    ] {
        assert!(help.contains(key), "{key}:\n{help}");
    }
}
