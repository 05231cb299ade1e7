//! The LIST grammar of `meshagents phewas`: column names in any UK Biobank style, @FILE, a
//! dictionary role or category, `all` and `none`, resolved against the cleaned table.

use crate::cohort::AnalysisTable;
use crate::error::StatsError;

/// Resolves a LIST argument against a table's columns: comma-separated items, each a column
/// name (any UK Biobank style), `@file` (one name per line), a role (`imaging`, `covariate`,
/// `factor`, `disease`), a dictionary category (e.g. `Diet`), `all` (every non-id column not in
/// `exclude`) or `none`.
pub fn resolve_list(
    catalog: &crate::cohort::Catalog,
    spec: &str,
    exclude: &[String],
) -> Result<Vec<String>, StatsError> {
    Ok(resolve_named(catalog, spec, exclude)?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// [`resolve_list`], each column with whether the LIST named it itself (by name or in an
/// @file) rather than through `all`, a role or a category: a column named in two lists is a
/// mistake to report, one a group brought in is only left out.
pub fn resolve_named(
    catalog: &crate::cohort::Catalog,
    spec: &str,
    exclude: &[String],
) -> Result<Vec<(String, bool)>, StatsError> {
    use crate::data::dictionary::Role;
    let mut out: Vec<(String, bool)> = Vec::new();
    let push = |name: String, out: &mut Vec<(String, bool)>| {
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, false));
        }
    };
    let mut items: Vec<String> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(path) = item.strip_prefix('@') {
            let text = std::fs::read_to_string(path)
                .map_err(|e| StatsError::io(std::path::Path::new(path), e))?;
            items.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        } else {
            items.push(item.to_string());
        }
    }
    for item in items {
        let lower = item.to_ascii_lowercase();
        if lower == "none" {
            continue;
        }
        if lower == "all" {
            for c in &catalog.columns {
                if catalog.role(c) != Role::Id && !exclude.contains(c) {
                    push(c.clone(), &mut out);
                }
            }
            continue;
        }
        if let Ok(role) = lower.parse::<Role>() {
            catalog
                .columns
                .iter()
                .filter(|c| catalog.role(c) == role)
                .for_each(|c| push(c.clone(), &mut out));
            continue;
        }
        let canonical = crate::cohort::canonical_column_name(&item);
        if catalog.columns.contains(&canonical) {
            match out.iter_mut().find(|(n, _)| *n == canonical) {
                Some(found) => found.1 = true,
                None => out.push((canonical, true)),
            }
            continue;
        }
        let in_category: Vec<&String> = catalog
            .columns
            .iter()
            .filter(|c| {
                catalog
                    .entry(c)
                    .map(|e| e.category.eq_ignore_ascii_case(&item))
                    .unwrap_or(false)
            })
            .collect();
        if !in_category.is_empty() {
            in_category
                .into_iter()
                .for_each(|c| push(c.clone(), &mut out));
            continue;
        }
        return Err(StatsError::Invalid(format!("'{item}' is not a column, role (imaging, covariate, factor, disease), category, @file or 'all'")));
    }
    Ok(out)
}

pub(super) fn dropped_reason(table: &AnalysisTable, name: &str) -> Option<String> {
    table
        .flow
        .iter()
        .find(|f| f.column == name && !f.kept)
        .map(|f| f.reason.clone())
}
