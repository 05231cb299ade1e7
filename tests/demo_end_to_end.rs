//! End to end through the real binary: `simulate` and `demo`, including resume and errors.

use std::path::Path;
use std::process::Output;

mod common;
use common::{assert_failed_saying, meshagents, p, simulate_csv};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn csv_header(path: &Path) -> Vec<String> {
    let body = std::fs::read_to_string(path).unwrap();
    body.lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect()
}

/// `meshagents demo` of `n` participants from `seed` into `out` (then `extra` flags), which
/// must succeed.
fn demo(out: &Path, n: &str, seed: &str, extra: &[&str]) -> Output {
    let mut args = vec!["demo", "--n", n, "--seed", seed, "--out", p(out)];
    args.extend(extra);
    let run = meshagents(&args);
    assert!(run.status.success(), "demo failed: {}", text(&run.stderr));
    run
}

#[test]
fn demo_runs_end_to_end_then_resumes_without_recomputing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    let out_arg = out.to_str().unwrap();
    let first = demo(&out, "800", "5", &[]);
    let stderr = text(&first.stderr);
    assert!(stderr.contains("[10/10]"), "progress is reported: {stderr}");

    common::assert_files(&out, common::PANEL_STUDY_FILES);
    common::assert_files(
        &out,
        &[
            "cohort/cohort.parquet",
            "cohort/dictionary.csv",
            "cohort/truth.json",
            "associations.tsv",
            "associations.parquet",
            "associations.md",
            "associations.tex",
            "classification.md",
            "classification.tex",
            "plots/manhattan.svg",
            "plots/volcano.png",
            "plots/qq.png",
            "plots/roc.png",
            "plots/forest.png",
        ],
    );
    // The demo validates on participants the panel never saw, and says so; the figures and
    // the table still have both arms.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Protocol: held-out validation"), "{report}");
    // Numbers as a co-author prints them: no "5.55e-1", tiny p as 1.2×10⁻⁸, the model named.
    assert!(
        !report
            .as_bytes()
            .windows(3)
            .any(|w| w[0] == b'e' && w[1] == b'-' && w[2].is_ascii_digit()),
        "{report}"
    );
    assert!(
        report.contains("×10⁻") && report.contains("| Model |"),
        "{report}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("white-space:nowrap") && html.contains("<th>Model</th>"));
    let classification = std::fs::read_to_string(out.join("classification.csv")).unwrap();
    assert!(classification
        .lines()
        .skip(1)
        .all(|l| l.ends_with(",holdout")));
    for arm in [",panel,", ",expert,"] {
        assert!(classification.contains(arm), "{arm} arm missing");
    }
    let roc = std::fs::read_to_string(out.join("plots/roc.svg")).unwrap();
    assert!(
        roc.contains("panel") && roc.contains("expert"),
        "both arms in the ROC figure"
    );
    assert!(
        out.join("journal").is_dir(),
        "the sled journal lives in the study directory"
    );

    // The table follows the output contract and has a row for every phenotype x kept factor.
    let header = csv_header(&out.join("associations.csv"));
    assert_eq!(
        header,
        [
            "phenotype",
            "factor",
            "category",
            "model",
            "n",
            "n_cases",
            "n_controls",
            "beta",
            "se",
            "ci_low",
            "ci_high",
            "stat",
            "p",
            "neg_log10_p",
            "q_bh",
            "bonferroni",
            "status",
            "note"
        ]
    );
    let flow = std::fs::read_to_string(out.join("flow.csv")).unwrap();
    let kept_factors = flow.lines().filter(|l| l.contains(",factor,true,")).count();
    assert!(kept_factors > 250, "{kept_factors} factors kept");
    let all_factors = flow.lines().filter(|l| l.contains(",factor,")).count();
    let table = std::fs::read_to_string(out.join("associations.csv")).unwrap();
    let pairs: std::collections::HashSet<(String, String)> = table
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.splitn(3, ',');
            let phenotype = f.next().unwrap().to_string();
            let factor = f
                .next()
                .unwrap()
                .trim_start_matches('"')
                .split('=')
                .next()
                .unwrap()
                .to_string();
            (phenotype, factor)
        })
        .collect();
    assert_eq!(
        pairs.len(),
        82 * all_factors,
        "every phenotype x factor pair has a row"
    );
    let skipped = table
        .lines()
        .filter(|l| l.contains(",skipped,dropped by cleaning"))
        .count();
    assert_eq!(
        skipped,
        82 * (all_factors - kept_factors),
        "dropped factors are reported, not lost"
    );

    // The demo's STUDY.toml repeats its analysis through `study run`, to the byte.
    let again_study = dir.path().join("again-study");
    let study = meshagents(&[
        "study",
        "run",
        out.join("STUDY.toml").to_str().unwrap(),
        "--out",
        again_study.to_str().unwrap(),
    ]);
    assert!(study.status.success(), "{}", text(&study.stderr));
    assert_eq!(
        std::fs::read_to_string(again_study.join("associations.csv")).unwrap(),
        table
    );
    assert!(table
        .lines()
        .skip(1)
        .all(|l| l.contains(",ok,") || l.contains(",skipped,") || l.contains(",failed,")));

    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    for needle in [
        "## Data flow",
        "## Confounder panel",
        "## Associations",
        "Planted direct effects recovered",
        "statistician",
        "## Phenotypes per disease",
    ] {
        assert!(summary.contains(needle), "summary lacks '{needle}'");
    }

    // `study export` re-exports elsewhere: the CSV copy holds the study's table; LaTeX and
    // figures are there; an unknown format is an error that lists the known ones.
    let export_dir = dir.path().join("paper");
    let args = [
        "study",
        "export",
        out_arg,
        "--format",
        "csv,tex",
        "--out",
        export_dir.to_str().unwrap(),
    ];
    let export = meshagents(&args);
    assert!(export.status.success(), "{}", text(&export.stderr));
    // The copy is the study's table, byte for byte, with each factor's description appended
    // as a last column.
    let copy = std::fs::read_to_string(export_dir.join("associations.csv")).unwrap();
    let own = std::fs::read_to_string(out.join("associations.csv")).unwrap();
    assert_eq!(copy.lines().count(), own.lines().count());
    for (c, o) in copy.lines().zip(own.lines()) {
        assert!(c.starts_with(&format!("{o},")), "{c}\nis not\n{o}");
    }
    assert!(copy.starts_with(&format!("{},description\n", own.lines().next().unwrap())));
    for f in [
        "associations.tex",
        "classification.tex",
        "classification.csv",
        "plots/manhattan.png",
        "plots/roc.svg",
    ] {
        assert!(export_dir.join(f).is_file(), "export lacks {f}");
    }
    assert!(
        !export_dir.join("associations.parquet").exists(),
        "only the formats asked for"
    );
    let bad = meshagents(&["study", "export", out_arg, "--format", "xlsx"]);
    assert_failed_saying(&bad, "use csv, tsv, parquet, md, tex or all");

    // A second export of the same study is the same files; one over a table somebody edited
    // is refused, naming it, and changes nothing until --force, which says what it replaced.
    let again = meshagents(&args);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let tex = export_dir.join("associations.tex");
    let edited = [std::fs::read(&tex).unwrap(), b"% my note\n".to_vec()].concat();
    std::fs::write(&tex, &edited).unwrap();
    let refused = meshagents(&args);
    assert_failed_saying(
        &refused,
        "holds an earlier export whose files differ from this one (associations.tex)",
    );
    assert_eq!(std::fs::read(&tex).unwrap(), edited, "the edit stays");
    let staging: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(staging.is_empty(), "no staging folder is left: {staging:?}");
    let forced = meshagents(&[&args[..], &["--force"]].concat());
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(text(&forced.stderr).contains("replaced 1 file(s) of an earlier export"));
    assert_ne!(std::fs::read(&tex).unwrap(), edited);

    // Running again: nothing is recomputed and every file is byte-identical.
    const FILES: [&str; 6] = [
        "associations.csv",
        "summary.md",
        "flow.csv",
        "decisions.json",
        "transcript.json",
        "transcript.md",
    ];
    let before: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    let second = demo(&out, "800", "5", &[]);
    assert!(
        text(&second.stderr).contains("already finished"),
        "{}",
        text(&second.stderr)
    );
    let after: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);

    // A fresh run in another directory gives the same bytes (a pure function of config).
    let again = dir.path().join("again");
    demo(&again, "800", "5", &["--threads", "1"]);
    assert_eq!(
        std::fs::read(again.join("associations.csv")).unwrap(),
        before[0],
        "thread count must not change results"
    );
    for (file, bytes) in FILES.iter().zip(&before).skip(1) {
        assert_eq!(&std::fs::read(again.join(file)).unwrap(), bytes, "{file}");
    }

    // The same directory with another configuration is refused, not mixed.
    let clash = meshagents(&["demo", "--n", "900", "--seed", "5", "--out", out_arg]);
    assert_failed_saying(&clash, "another configuration");
}

#[test]
fn simulate_writes_the_three_files_in_csv_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cohort");
    let run = simulate_csv(dir.path(), out.to_str().unwrap(), "300", "9", &[]);
    let header = csv_header(&out.join("cohort.csv"));
    assert_eq!(header[0], "eid");
    assert!(
        header.iter().any(|h| h == "LVEDV")
            && header.iter().any(|h| h == "22040-2.0")
            && header.iter().any(|h| h == "hypertension")
    );
    assert_eq!(
        csv_header(&out.join("dictionary.csv")),
        [
            "column",
            "field_id",
            "description",
            "category",
            "value_type",
            "coding",
            "role"
        ]
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth.json")).unwrap()).unwrap();
    for key in [
        "confounders",
        "direct_associations",
        "disease_phenotypes",
        "mediators",
    ] {
        assert!(truth.get(key).is_some(), "truth.json lacks {key}");
    }
    assert_eq!(
        text(&run.stdout).lines().count(),
        3,
        "prints the three paths"
    );
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let small = meshagents(&[
        "demo",
        "--n",
        "20",
        "--out",
        dir.path().join("s").to_str().unwrap(),
    ]);
    assert_failed_saying(&small, "--n must be at least 200");

    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let into_file = meshagents(&["simulate", "--n", "100", "--out", blocker.to_str().unwrap()]);
    assert!(!into_file.status.success());
    let stderr = text(&into_file.stderr);
    assert!(
        stderr.starts_with("error:") && stderr.contains(blocker.to_str().unwrap()),
        "{stderr}"
    );

    let unknown = meshagents(&["simulate", "--n", "many", "--out", "x"]);
    assert_failed_saying(&unknown, "invalid value 'many'");
}

/// The embedded panel against the planted truth of a 20,000-person cohort: at least 90% of
/// the planted confounders with at most one false one, and at least 80% of the planted
/// disease-driving phenotypes among its picks; the summary reports both figures.
#[test]
fn the_embedded_panel_recovers_the_planted_confounders_and_disease_phenotypes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    demo(&out, "20000", "42", &[]);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    let decisions = read("decisions.json");
    let truth = read("cohort/truth.json");
    let chosen = common::json_strings(&decisions["confounders"]);
    let planted = common::json_strings(&truth["confounders"]);
    let found = planted.iter().filter(|p| chosen.contains(p)).count();
    let false_ones = chosen.iter().filter(|c| !planted.contains(c)).count();
    assert!(
        found as f64 >= 0.9 * planted.len() as f64 && false_ones <= 1,
        "chosen {chosen:?}, planted {planted:?}"
    );
    let mut pairs = 0;
    let mut hits = 0;
    for (disease, phenotypes) in truth["disease_phenotypes"].as_object().unwrap() {
        let picks = common::json_strings(&decisions["disease_phenotypes"][disease]);
        for p in common::json_strings(phenotypes) {
            pairs += 1;
            hits += usize::from(picks.contains(&p));
        }
    }
    assert!(pairs >= 20);
    assert!(
        hits as f64 >= 0.8 * pairs as f64,
        "{hits} of {pairs} planted disease phenotypes picked: {:#}",
        decisions["disease_phenotypes"]
    );
    // Agreement is measured every round.
    assert!(decisions["agreement"]["confounders"][0]["kappa"].is_number());
    // The summary and the report print the same recall, each in its own typography.
    let recall = 100.0 * hits as f64 / pairs as f64;
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("recall {recall:.0}% ({hits} of {pairs}")),
        "{summary}"
    );
    assert!(summary.contains("Against the planted truth (confounders"));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains(&format!("recall {recall:.0} % ({hits} of {pairs})")),
        "the study report shows the panel's recall"
    );
}
