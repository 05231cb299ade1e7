//! The study's last stages as plain functions a step can wrap: the disease-classification
//! validation (the panel's phenotypes per disease against the expert-selected 13, both with
//! the panel's confounders), the paper exports and figures, and the study report. Each one
//! reads what earlier steps wrote in the study directory and writes whole files, so it is safe
//! to repeat after a crash, and `meshagents study export` can call the export part alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meshagents_stats::classify::{
    evaluate, read_classification, read_classification_if_any, read_predictions,
    write_classification, write_predictions, Arm, ClassificationRow, ClassifyConfig, ClassifyError,
    FeatureMatrix, PredictionRow,
};
use meshagents_stats::cohort::split::{SPLIT_ALL, SPLIT_HOLDOUT};
use meshagents_stats::cohort::AnalysisTable;
use meshagents_stats::data::dictionary::{Dictionary, Role};
use meshagents_stats::export::{
    export_associations, export_classification, ExportFormat, ExportOptions, LatexOptions,
};
use meshagents_stats::figures as plots;
use meshagents_stats::phewas::read_associations;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::files::{record, WrittenFile};
use crate::report::{write_report, Figure, ReportInput};
use crate::WorkflowError;

/// The 13 headline phenotypes of Bai et al. 2020 (domain.md): the expert arm.
pub const EXPERT_PHENOTYPES: [&str; 13] = [
    "LVEDV",
    "LVEF",
    "LVM",
    "RVEDV",
    "RVEF",
    "LAV max",
    "LAEF",
    "RAV max",
    "RAEF",
    "AAo max area",
    "AAo distensibility",
    "DAo max area",
    "DAo distensibility",
];

/// Arm names in the tables.
pub const PANEL_ARM: &str = "panel";
pub const EXPERT_ARM: &str = "expert";

/// What the classification step did (the journaled result; the numbers are in the files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationResult {
    pub evaluated: Vec<String>,
    /// (disease, why it was not evaluated).
    pub skipped: Vec<(String, String)>,
    /// Features named by the decisions or the expert set that the cleaned table does not
    /// have (dropped by cleaning, or misspelt), so they could not be used: (arm, column).
    pub missing_features: Vec<(String, String)>,
    pub files: Vec<WrittenFile>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Evaluates every disease of the table: arm `panel` (the panel's phenotypes for it, from
/// `decisions["disease_phenotypes"]`) and arm `expert` ([`EXPERT_PHENOTYPES`]), each with
/// `decisions["confounders"]` appended. A disease the panel chose nothing for is evaluated on
/// the expert arm alone; one with too few cases for the folds is skipped with its reason.
///
/// `held_out`: the rows (of `table`) the panel never saw; the classifiers are trained and
/// scored on those only, and the rows' `split` is `holdout`. `None` scores every row, which the
/// selection saw (the paper's protocol): `split` is `all`.
/// Writes `classification.csv` and `predictions.csv` in `out`.
pub fn classify_diseases(
    table: &AnalysisTable,
    held_out: Option<&[usize]>,
    decisions: &Value,
    config: &ClassifyConfig,
    out: &Path,
) -> Result<ValidationResult, WorkflowError> {
    let confounders = strings(&decisions["confounders"]);
    // Features a table lacks are left out of the arm, and said so in the result.
    let missing = std::cell::RefCell::new(Vec::<(String, String)>::new());
    let present = |arm: &str, names: &[String]| -> Vec<String> {
        let mut kept = Vec::new();
        for n in names {
            if table.column(n).is_some() {
                kept.push(n.clone());
            } else {
                let entry = (arm.to_string(), n.clone());
                let mut m = missing.borrow_mut();
                if !m.contains(&entry) {
                    tracing::warn!("{arm} arm: '{n}' is not in the cleaned table; left out");
                    m.push(entry);
                }
            }
        }
        kept
    };
    let with_confounders = |phenotypes: Vec<String>| -> Vec<String> {
        let mut all = phenotypes;
        for c in present("confounders", &confounders) {
            if !all.contains(&c) {
                all.push(c);
            }
        }
        all
    };
    let expert: Vec<String> = EXPERT_PHENOTYPES.iter().map(|s| s.to_string()).collect();
    let expert = with_confounders(present(EXPERT_ARM, &expert));
    let split_kind = if held_out.is_some() {
        SPLIT_HOLDOUT
    } else {
        SPLIT_ALL
    };
    let mut rows = Vec::new();
    let mut predictions: Vec<PredictionRow> = Vec::new();
    let mut evaluated = Vec::new();
    let mut skipped = Vec::new();
    for disease in table.kept_with_role(Role::Disease) {
        let Some(values) = table.column(&disease) else {
            continue;
        };
        // Rows of the evaluated part with a known label only; any non-zero code is a case.
        let keep: Vec<usize> = match held_out {
            Some(rows) => rows
                .iter()
                .copied()
                .filter(|&i| values.get(i).is_some_and(|v| !v.is_nan()))
                .collect(),
            None => (0..values.len()).filter(|i| !values[*i].is_nan()).collect(),
        };
        let labels: Vec<bool> = keep.iter().map(|&i| values[i] != 0.0).collect();
        let ids: Vec<String> = keep.iter().map(|&i| table.ids[i].to_string()).collect();
        let chosen = present(
            PANEL_ARM,
            &strings(&decisions["disease_phenotypes"][disease.as_str()]),
        );
        let mut arm_columns: Vec<(&str, Vec<String>)> = Vec::new();
        if !chosen.is_empty() {
            arm_columns.push((PANEL_ARM, with_confounders(chosen)));
        }
        arm_columns.push((EXPERT_ARM, expert.clone()));
        let matrices = arm_columns
            .iter()
            .map(|(_, cols)| matrix(table, cols, &keep))
            .collect::<Result<Vec<_>, _>>()?;
        let arms: Vec<Arm> = arm_columns
            .iter()
            .zip(&matrices)
            .map(|((name, _), m)| Arm { name, features: m })
            .collect();
        match evaluate(&disease, &arms, &labels, &ids, config) {
            Ok((r, p)) => {
                rows.extend(r.into_iter().map(|row| ClassificationRow {
                    split: split_kind.to_string(),
                    ..row
                }));
                predictions.extend(p);
                evaluated.push(disease);
            }
            Err(ClassifyError::Disease { source, .. })
                if matches!(
                    *source,
                    ClassifyError::TooFewCases { .. }
                        | ClassifyError::OneClass { .. }
                        | ClassifyError::Fit { .. }
                ) =>
            {
                // Say where the cases ran out: a hold-out can leave too few for the folds, or
                // folds on which a classifier cannot be fitted (a constant feature in a tiny
                // fold): the disease is not evaluated, the study goes on.
                let reason = match held_out {
                    Some(part) => format!(
                        "in the held-out part ({} of {} participants): {source}",
                        part.len(),
                        table.n_rows()
                    ),
                    None => source.to_string(),
                };
                tracing::warn!("{disease}: not evaluated: {reason}");
                skipped.push((disease, reason));
            }
            Err(e) => return Err(WorkflowError::Stats(e.into())),
        }
    }
    write_classification(&rows, &out.join("classification.csv"))?;
    write_predictions(&predictions, &out.join("predictions.csv"))?;
    Ok(ValidationResult {
        evaluated,
        skipped,
        missing_features: missing.into_inner(),
        files: vec![
            record(out, "classification.csv")?,
            record(out, "predictions.csv")?,
        ],
    })
}

fn matrix(
    table: &AnalysisTable,
    columns: &[String],
    rows: &[usize],
) -> Result<FeatureMatrix, WorkflowError> {
    let values: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| {
            let all = table.column(c).unwrap_or(&[]);
            rows.iter()
                .map(|&i| all.get(i).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let slices: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
    FeatureMatrix::from_columns(columns.to_vec(), &slices)
        .map_err(|e| WorkflowError::Stats(e.into()))
}

/// The figures of a study directory, by kind, in report order.
pub const FIGURES: [&str; 5] = ["manhattan", "volcano", "qq", "forest", "roc"];

/// What [`export_study_to`] wrote: the files (relative to the destination), and those of them
/// that replaced different files of an earlier export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub written: Vec<PathBuf>,
    pub replaced: Vec<PathBuf>,
}

/// What an export writes: the formats of the tables, the figures or not, the hits per
/// phenotype in the Markdown and LaTeX association tables, and the LaTeX layout.
#[derive(Debug, Clone, Copy)]
pub struct ExportRequest<'a> {
    pub formats: &'a [ExportFormat],
    pub figures: bool,
    pub top_n: usize,
    pub latex: LatexOptions,
}

/// [`export_study`] for `meshagents study export`: the files are made in a staging folder
/// beside `dest` first, and moved into `dest` only when none of them would replace a different
/// file there, or with `force`. A second export used to overwrite the first without a word,
/// edits a co-author made to a table included; an export that fails half-way leaves `dest` as
/// it was. Into the study directory itself it writes in place, as the study's own step does.
pub fn export_study_to(
    dir: &Path,
    dest: &Path,
    request: &ExportRequest<'_>,
    dictionary: Option<&Dictionary>,
    force: bool,
) -> Result<Exported, WorkflowError> {
    if dest == dir {
        let written = export_study_with(dir, dest, request, dictionary)?;
        return Ok(Exported {
            written,
            replaced: Vec::new(),
        });
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let staging = dest.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let io = |path: &Path, e| WorkflowError::io(path.display().to_string(), e);
    let _ = std::fs::remove_dir_all(&staging);
    let staged = export_study_with(dir, &staging, request, dictionary).and_then(|written| {
        let mut replaced = Vec::new();
        for file in &written {
            let old = dest.join(file);
            if old.is_file()
                && std::fs::read(&old).map_err(|e| io(&old, e))?
                    != std::fs::read(staging.join(file)).map_err(|e| io(&staging, e))?
            {
                replaced.push(file.clone());
            }
        }
        Ok(Exported { written, replaced })
    });
    let exported = match staged {
        Ok(e) if e.replaced.is_empty() || force => e,
        Ok(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            let shown: Vec<_> = e.replaced.iter().map(|p| p.display()).collect();
            return Err(WorkflowError::File {
                path: dest.display().to_string(),
                message: format!(
                    "holds an earlier export whose files differ from this one ({}): pass --force to replace them, or --out another folder to keep both",
                    crate::files::first_few(&shown)
                ),
            });
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    for file in &exported.written {
        let to = dest.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::rename(staging.join(file), &to).map_err(|e| io(&to, e))?;
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(exported)
}

/// Reads a study directory's tables (`associations.csv`, and `classification.csv` and
/// `predictions.csv` when the validation ran) and writes into `dest` their exports
/// (`associations.*`, `classification.*`) in `formats` and, with `figures`, the plots
/// `plots/{manhattan,volcano,qq,forest,roc}.{svg,png}`. When `dest` is the study directory
/// itself the CSV format is left out: the study's own tables are never rewritten. Returns
/// the files written, relative to `dest`. Factors are described in the tables and named in
/// the figures by their `dictionary` descriptions when given. The LaTeX tables are portrait
/// at the document's type size ([`export_study_with`] chooses).
pub fn export_study(
    dir: &Path,
    dest: &Path,
    formats: &[ExportFormat],
    figures: bool,
    dictionary: Option<&Dictionary>,
    top_n: usize,
) -> Result<Vec<PathBuf>, WorkflowError> {
    let request = ExportRequest {
        formats,
        figures,
        top_n,
        latex: LatexOptions::default(),
    };
    export_study_with(dir, dest, &request, dictionary)
}

/// [`export_study`] as `request` says.
pub fn export_study_with(
    dir: &Path,
    dest: &Path,
    request: &ExportRequest<'_>,
    dictionary: Option<&Dictionary>,
) -> Result<Vec<PathBuf>, WorkflowError> {
    let mut written = Vec::new();
    let associations = read_associations(&dir.join("associations.csv"))?;
    // In the study directory the CSV is the study's own table, recorded with its hash by the
    // step that wrote it: never rewrite it.
    let in_place = dest == dir;
    let table_formats: Vec<ExportFormat> = request
        .formats
        .iter()
        .copied()
        .filter(|f| !(in_place && *f == ExportFormat::Csv))
        .collect();
    let labels = factor_labels(dictionary);
    let options = ExportOptions {
        top_n: request.top_n,
        factor_labels: labels.clone(),
        latex: request.latex,
    };
    written.extend(export_associations(
        &associations,
        dest,
        "associations",
        &table_formats,
        &options,
    )?);
    let classification_path = dir.join("classification.csv");
    let classification = if classification_path.exists() {
        let rows = read_classification(&classification_path)?;
        written.extend(export_classification(
            &rows,
            dest,
            "classification",
            &table_formats,
            request.latex,
        )?);
        rows
    } else {
        Vec::new()
    };
    if request.figures {
        let plots_dir = dest.join("plots");
        let options = plots::ManhattanOptions {
            factor_labels: labels.clone(),
            ..Default::default()
        };
        let mut add = |f: plots::PlotFiles| {
            written.push(f.svg);
            written.push(f.png);
        };
        add(plots::manhattan(
            &associations,
            &plots_dir.join("manhattan"),
            &options,
        )?);
        add(plots::volcano(
            &associations,
            &plots_dir.join("volcano"),
            "Effect and significance",
            6,
            &labels,
        )?);
        add(plots::qq(
            &associations,
            &plots_dir.join("qq"),
            "QQ plot of all tested pairs",
        )?
        .0);
        add(plots::forest(
            &associations,
            &plots_dir.join("forest"),
            15,
            &labels,
        )?);
        if !classification.is_empty() {
            let predictions = read_predictions(&dir.join("predictions.csv"))?;
            let classifier = classification[0].classifier.clone();
            add(plots::roc(
                &predictions,
                &classifier,
                &plots_dir.join("roc"),
            )?);
        }
    }
    Ok(written
        .into_iter()
        .map(|p| p.strip_prefix(dest).map(Path::to_path_buf).unwrap_or(p))
        .collect())
}

/// Factor column -> its dictionary description, for figures and tables that should say what a
/// field is rather than only its id.
pub fn factor_labels(dictionary: Option<&Dictionary>) -> BTreeMap<String, String> {
    dictionary
        .map(|d| {
            d.entries
                .iter()
                .filter(|e| e.role == Role::Factor && !e.description.is_empty())
                .map(|e| (e.column.clone(), e.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `report.html` and `report.md` in `dir` from the study's files: `config_text`, the
/// data-flow counts and drops, `decisions`, the tables and whatever figures exist in
/// `dir/plots`. Factors are named by their `dictionary` description when it has one. Returns
/// the two files, recorded.
#[allow(clippy::too_many_arguments)]
pub fn study_report(
    dir: &Path,
    title: &str,
    config_text: &str,
    flow_counts: &[(String, String)],
    dropped: &[(String, String)],
    decisions: &Value,
    dictionary: Option<&Dictionary>,
    skipped: &[(String, String)],
) -> Result<Vec<WrittenFile>, WorkflowError> {
    let labels = crate::report_input::column_labels(dictionary);
    let associations = read_associations(&dir.join("associations.csv"))?;
    let classification = read_classification_if_any(&dir.join("classification.csv"))?;
    let captions = [
        ("manhattan", "Manhattan plot", "Every tested phenotype–factor pair; factors grouped by category, each category its own colour and marker, point size by |effect|. Dashed: Bonferroni 5 %; dotted: Benjamini–Hochberg FDR 5 %."),
        ("volcano", "Volcano plot", "Effect against −log10 p, one panel per model family (standardised β of linear models, log odds ratio of logistic ones); blue diamonds: Bonferroni-significant, orange squares: FDR only, grey: neither; triangles: effects beyond the panel's 99th percentile, drawn at the edge."),
        ("qq", "QQ plot", "Observed against expected −log10 p under the null, with the pointwise 95 % band; λ is the genomic inflation factor."),
        ("forest", "Top associations", "Estimate and 95 % CI of the strongest pairs by p in each model family: standardised β, or the log odds ratio with the odds ratio printed beside it; logistic rows written as fitted, factor ~ phenotype."),
        ("roc", "ROC curves", "Out-of-fold ROC per disease for both arms (panel solid, expert dashed), AUC in the legend."),
    ];
    let figures: Vec<Figure> = captions
        .iter()
        .filter_map(|(kind, title, caption)| {
            let png = dir.join("plots").join(format!("{kind}.png"));
            png.exists().then(|| Figure {
                title: title.to_string(),
                caption: caption.to_string(),
                svg: Some(png.with_extension("svg")),
                png,
            })
        })
        .collect();
    let input = ReportInput {
        title,
        config_text,
        flow_counts,
        dropped,
        decisions,
        associations: &associations,
        classification: &classification,
        arms: (PANEL_ARM, EXPERT_ARM),
        figures: &figures,
        labels: &labels,
        top_n: 3,
        protocol: protocol(decisions, &classification),
        skipped,
    };
    write_report(&input, &dir.join("report.html"), &dir.join("report.md"))?;
    Ok(vec![record(dir, "report.html")?, record(dir, "report.md")?])
}

/// The validation's protocol in one sentence: from the split `decisions.json` records, else
/// (a table from before the split, or decisions without one) from `classification.csv`'s
/// `split` column. None without a classification.
fn protocol(decisions: &Value, classification: &[ClassificationRow]) -> Option<String> {
    if classification.is_empty() {
        return None;
    }
    if let Ok(summary) = serde_json::from_value::<meshagents_stats::cohort::split::SplitSummary>(
        decisions["split"].clone(),
    ) {
        return Some(crate::holdout::protocol_sentence(&summary, None));
    }
    Some(if classification.iter().all(|r| r.split == SPLIT_HOLDOUT) {
        "Protocol: held-out validation: the classifiers were scored on participants the selection never saw.".to_string()
    } else {
        "Protocol: no hold-out (the paper's protocol): the selection saw the participants the classifiers were scored on, which favours the panel arm.".to_string()
    })
}

/// `decisions.json` of the study if the panel wrote one, else the same shape built from
/// the confounder decision alone (no phenotypes per disease, so the validation has only the
/// expert arm).
pub fn decisions_or_confounders(
    dir: &Path,
    confounders: &[String],
    agreement: Option<f64>,
) -> Result<Value, WorkflowError> {
    match crate::panel::read_decisions(dir)? {
        Some(decisions) => Ok(decisions),
        None => Ok(serde_json::json!({
            "confounders": confounders,
            "phenotypes": [],
            "disease_phenotypes": {},
            "agreement": agreement,
        })),
    }
}
