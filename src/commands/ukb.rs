//! `meshagents ukb`: a UK Biobank extract as delivered, made into an ordinary cohort
//! (`workflows::ukb` derives it; this reports what it made).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use meshagents_stats::ukb::UkbOptions;
use meshagents_workflows::ukb::{read_diseases, UkbRequest};
use meshagents_workflows::{check_output_folder, OutputFolder};

use crate::cli::{DeriveArgs, UkbArgs};

/// The derivation the flags describe.
pub(crate) fn request(
    derive: &DeriveArgs,
    data: &Path,
    showcase: PathBuf,
    overlay: Option<PathBuf>,
    id: Option<String>,
) -> Result<UkbRequest> {
    let diseases = match &derive.diseases {
        Some(path) => read_diseases(path)?,
        None => Default::default(),
    };
    Ok(UkbRequest {
        data: data.to_path_buf(),
        showcase,
        codings: derive.codings.clone(),
        overlay,
        id,
        options: UkbOptions {
            instance: derive.instance,
            instance_fallback: derive.instance_fallback,
            min_cases: derive.min_cases,
        },
        diseases,
    })
}

/// The flag of `derive` that only means something with --showcase, if one is given.
pub(crate) fn without_showcase(derive: &DeriveArgs) -> Result<()> {
    let defaults = UkbOptions::default();
    let given = [
        ("--codings", derive.codings.is_some()),
        ("--instance", derive.instance != defaults.instance),
        ("--instance-fallback", derive.instance_fallback.is_some()),
        ("--min-cases", derive.min_cases != defaults.min_cases),
        ("--diseases", derive.diseases.is_some()),
    ];
    match given.iter().find(|(_, set)| *set) {
        Some((flag, _)) => bail!("{flag} reads a UK Biobank extract: it needs --showcase too"),
        None => Ok(()),
    }
}

pub fn run(args: UkbArgs) -> Result<()> {
    check_output_folder(&args.out, OutputFolder::Derived, args.force)?;
    let request = request(
        &args.derive,
        &args.data,
        args.showcase.clone(),
        args.dictionary.clone(),
        args.id.clone(),
    )?;
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("deriving a cohort from {}", args.data.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    let prepared = request.prepare(&args.out);
    spinner.finish_and_clear();
    let prepared = prepared?;
    let kept = prepared.notes.iter().filter(|n| n.kept).count();
    let codes = prepared
        .notes
        .iter()
        .filter(|n| n.kept && n.column.contains('#'))
        .count();
    let skipped = prepared.notes.iter().filter(|n| !n.kept).count();
    println!(
        "{} {kept} columns ({codes} codes of multi-valued fields, {} disease labels, {} from fields of one sex); {skipped} fields or groups of rare codes left out (why: fields.csv); {:.1} s",
        if prepared.derived { "derived" } else { "already derived (inputs unchanged):" },
        request.diseases.len(),
        prepared.sexed.len(),
        started.elapsed().as_secs_f64()
    );
    // A derivation made now warned as it went; one reused says its warnings again.
    if !prepared.derived {
        for w in &prepared.warnings {
            eprintln!("warning: {w}");
        }
    }
    println!(
        "wrote {}, {} and {}",
        prepared.data.display(),
        prepared.dictionary.display(),
        args.out.join(meshagents_stats::ukb::FIELDS_FILE).display()
    );
    Ok(())
}
