//! Shard parts on disk: what `meshagents phewas --shard I/N` writes and what the merge reads.
//!
//! A part is a Parquet file with the 18 columns of the association table (raw `p`; `q_bh` and
//! `bonferroni` empty, since the correction needs the whole family) plus `phenotype_index`
//! and `factor_index` (positions in the run's lists, so the merge can restore the whole run's
//! order) and `shard` (`I/N`, checked against the file it is read as). Parquet stores the
//! floating-point values bit for bit, which is what lets a merged table equal a whole run's.

use std::path::Path;

use polars::prelude::*;

use crate::error::StatsError;
use crate::phewas::rows::{rows_to_frame, AssociationRow};
use crate::phewas::{Shard, ShardRows};

/// Writes a shard's rows to `path` (Parquet). The file appears whole or not at all: it is
/// written under a temporary name and renamed, so a task killed while writing leaves no part
/// that looks finished.
pub fn write_shard(path: &Path, part: &ShardRows) -> Result<(), StatsError> {
    let rows: Vec<AssociationRow> = part.rows.iter().map(|(_, _, r)| r.clone()).collect();
    let mut frame = rows_to_frame(&rows)?;
    let index = |pick: fn(&(usize, usize, AssociationRow)) -> usize| {
        part.rows
            .iter()
            .map(|r| pick(r) as u32)
            .collect::<Vec<u32>>()
    };
    frame.with_column(Column::new("phenotype_index".into(), index(|r| r.0)))?;
    frame.with_column(Column::new("factor_index".into(), index(|r| r.1)))?;
    frame.with_column(Column::new(
        "shard".into(),
        vec![part.shard.to_string(); part.rows.len()],
    ))?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    let temporary = path.with_file_name(name);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StatsError::io(parent, e))?;
    }
    let file = std::fs::File::create(&temporary).map_err(|e| StatsError::io(&temporary, e))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut frame)
        .map_err(|e| StatsError::polars_in(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| StatsError::io(path, e))
}

/// Reads the part of `shard` from `path`; an error names the file and what is wrong.
pub fn read_shard(path: &Path, shard: Shard) -> Result<ShardRows, StatsError> {
    let bad = |message: String| StatsError::Input {
        file: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| StatsError::io(path, e))?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|e| StatsError::polars_in(path, e))?;
    let column = |name: &str| -> Result<Series, StatsError> {
        frame
            .column(name)
            .map(|c| c.as_materialized_series().clone())
            .map_err(|_| bad(format!("not a shard part: no column '{name}'")))
    };
    let typed = |name: &str, e: PolarsError| bad(format!("column '{name}': {e}"));
    let labels: Vec<String> = column("shard")?
        .str()
        .map_err(|e| typed("shard", e))?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect();
    if let Some(other) = labels.iter().find(|l| **l != shard.to_string()) {
        return Err(bad(format!(
            "holds rows of shard {other}, but was read as the part of shard {shard}"
        )));
    }
    let index = |name: &str| -> Result<Vec<usize>, StatsError> {
        let series = column(name)?;
        let values = series.u32().map_err(|e| typed(name, e))?;
        values
            .iter()
            .map(|v| v.map(|v| v as usize))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad(format!("column '{name}' has an empty cell")))
    };
    let (p_index, f_index) = (index("phenotype_index")?, index("factor_index")?);
    // A missing column is named as such, before the rows are decoded.
    for name in crate::phewas::rows::ASSOCIATION_COLUMNS {
        let _ = column(name)?;
    }
    let table = crate::phewas::rows::rows_from_frame(&frame)
        .map_err(|e| bad(format!("not a shard part: {e}")))?;
    let mut factors: Vec<usize> = Vec::new();
    let rows = table
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            if !factors.contains(&f_index[i]) {
                factors.push(f_index[i]);
            }
            (p_index[i], f_index[i], row)
        })
        .collect();
    factors.sort_unstable();
    Ok(ShardRows {
        shard,
        factors,
        rows,
    })
}
