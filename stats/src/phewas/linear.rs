//! Linear pairs, a block of factors at a time, through the shared-sums kernel
//! (`models::fastlinear`).

use super::context::{binary_coding, Context};
use super::fitted::{coefficient_row, status_of, unfitted};
use super::rows::AssociationRow;
use crate::data::dictionary::ValueType;
use crate::data::transform::Transform;

/// Every phenotype against a block of linear factors, through the shared-sums kernel.
pub(super) fn linear_block(
    ctx: &Context,
    block: &[usize],
) -> Vec<(usize, Vec<Vec<AssociationRow>>)> {
    struct Prepared<'a> {
        name: String,
        category: String,
        /// The column itself when it is used untransformed (no copy).
        x: std::borrow::Cow<'a, [f64]>,
        binary_high: Option<f64>,
    }
    let prepared: Vec<Prepared> = block
        .iter()
        .map(|&f| {
            let name = ctx.request.factors[f].clone();
            let column = ctx
                .table
                .numeric_column(&name)
                .expect("linear blocks hold only present columns");
            let binary = column.value_type == ValueType::Binary;
            let x = match ctx.request.transform.resolve(column.value_type) {
                _ if binary => std::borrow::Cow::Borrowed(column.values.as_slice()),
                Transform::None | Transform::Auto => {
                    std::borrow::Cow::Borrowed(column.values.as_slice())
                }
                t => std::borrow::Cow::Owned(t.apply(&column.values)),
            };
            let category = ctx
                .table
                .dictionary
                .get(&name)
                .map(|e| e.category.clone())
                .unwrap_or_default();
            let binary_high = if binary {
                binary_coding(&column.values).map(|(_, h)| h)
            } else {
                None
            };
            Prepared {
                name,
                category,
                x,
                binary_high,
            }
        })
        .collect();
    let xs: Vec<&[f64]> = prepared.iter().map(|p| p.x.as_ref()).collect();
    let mut out: Vec<Vec<Vec<AssociationRow>>> =
        vec![vec![Vec::new(); ctx.request.phenotypes.len()]; block.len()];
    for group in &ctx.groups {
        let results = crate::models::fastlinear::fit_block(group, &xs);
        for (b, (factor_results, prep)) in results.into_iter().zip(&prepared).enumerate() {
            let cases = prep
                .binary_high
                .map(|high| group.count_in_base(&prep.x, high));
            for (result, &p) in factor_results.into_iter().zip(&group.members) {
                let phenotype = &ctx.request.phenotypes[p];
                out[b][p] = vec![match result {
                    Ok(c) => coefficient_row(
                        &c,
                        (cases, cases.map(|k| c.n - k)),
                        phenotype,
                        &prep.name,
                        &prep.category,
                        "linear",
                        String::new(),
                    ),
                    Err(e) => unfitted(
                        phenotype,
                        &prep.name,
                        &prep.category,
                        "linear",
                        status_of(&e),
                        e.to_string(),
                    ),
                }];
            }
        }
    }
    block.iter().copied().zip(out).collect()
}
