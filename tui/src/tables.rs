//! A tool's JSON result as text a person reads: numbers to 3 significant digits, lists of
//! records as tables with aligned columns (split into blocks of columns, the first column
//! repeated, when they are wider than the screen), records as `key  value` lines.

use serde_json::Value;

/// A number to 3 significant digits; integers as they are, very small or large ones in
/// scientific notation.
pub fn sig3(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.fract() == 0.0 && x.abs() < 1e9 {
        return format!("{x:.0}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return format!("{x:.2e}");
    }
    let decimals = (2 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // 0.50 reads as 0.5: trailing zeros after the point say nothing here.
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A scalar as a cell; arrays of scalars joined by commas, anything deeper as "{…}".
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => sig3(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(is_scalar) => {
            let cells: Vec<String> = items.iter().map(cell).collect();
            if cells.is_empty() {
                "none".into()
            } else {
                cells.join(", ")
            }
        }
        Value::Array(items) => format!("[{} items]", items.len()),
        Value::Object(_) => "{…}".into(),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Widest a table cell gets before it is cut with "…".
const MAX_CELL: usize = 28;

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let head: String = s.chars().take(width.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// `value` as lines of text at most `width` columns wide (a long scalar may wrap on screen);
/// tables keep their first `max_rows` rows and say how many more there are.
pub fn json_lines(value: &Value, width: usize, max_rows: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let shape = Shape {
        width: width.max(20),
        max_rows: max_rows.unwrap_or(usize::MAX),
    };
    render(value, "", shape, &mut out);
    out
}

#[derive(Clone, Copy)]
struct Shape {
    width: usize,
    max_rows: usize,
}

fn render(value: &Value, indent: &str, width: Shape, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let scalars: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(_, v)| {
                    is_scalar(v) || v.as_array().is_some_and(|a| a.iter().all(is_scalar))
                })
                .collect();
            let key_width = scalars
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0);
            for (k, v) in &scalars {
                out.push(format!("{indent}{k:<key_width$}  {}", cell(v)));
            }
            for (k, v) in map.iter().filter(|(_, v)| {
                !(is_scalar(v) || v.as_array().is_some_and(|a| a.iter().all(is_scalar)))
            }) {
                match v {
                    Value::Array(items) => out.push(format!("{indent}{k} ({} rows)", items.len())),
                    _ => out.push(format!("{indent}{k}")),
                }
                render(v, &format!("{indent}  "), width, out);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            table(items, indent, width, out)
        }
        Value::Array(items) => {
            for v in items {
                if is_scalar(v) {
                    out.push(format!("{indent}- {}", cell(v)));
                } else {
                    render(v, &format!("{indent}  "), width, out);
                }
            }
        }
        scalar => out.push(format!("{indent}{}", cell(scalar))),
    }
}

/// Records as a table: one column per key (in order of first appearance), numbers right
/// aligned; the columns that do not fit go into further blocks that repeat the first column.
fn table(items: &[Value], indent: &str, shape: Shape, out: &mut Vec<String>) {
    let (width, more) = (shape.width, items.len().saturating_sub(shape.max_rows));
    let items = &items[..items.len() - more];
    let mut keys: Vec<&String> = Vec::new();
    for item in items {
        if let Value::Object(map) = item {
            for k in map.keys() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    let cells: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            keys.iter()
                .map(|k| {
                    cut(
                        &item.get(k.as_str()).map(cell).unwrap_or_default(),
                        MAX_CELL,
                    )
                })
                .collect()
        })
        .collect();
    let numeric: Vec<bool> = (0..keys.len())
        .map(|c| {
            items.iter().all(|i| {
                i.get(keys[c].as_str())
                    .is_none_or(|v| v.is_number() || v.is_null())
            })
        })
        .collect();
    let widths: Vec<usize> = (0..keys.len())
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .chain([keys[c].chars().count().min(MAX_CELL)])
                .max()
                .unwrap_or(1)
        })
        .collect();
    let room = width.saturating_sub(indent.chars().count());
    let mut start = 1.min(keys.len());
    let mut first_block = true;
    while first_block || start < keys.len() {
        // The first column, then as many more as fit.
        let mut cols = vec![0];
        let mut used = widths[0];
        let mut c = start;
        while c < keys.len() && (used + 2 + widths[c] <= room || cols.len() == 1) {
            if c != 0 {
                cols.push(c);
                used += 2 + widths[c];
            }
            c += 1;
        }
        let line = |values: &dyn Fn(usize) -> String| -> String {
            let parts: Vec<String> = cols
                .iter()
                .map(|&c| {
                    let v = values(c);
                    if numeric[c] {
                        format!("{v:>w$}", w = widths[c])
                    } else {
                        format!("{v:<w$}", w = widths[c])
                    }
                })
                .collect();
            format!("{indent}{}", parts.join("  "))
                .trim_end()
                .to_string()
        };
        out.push(line(&|c| cut(keys[c], MAX_CELL)));
        out.push(format!("{indent}{}", "─".repeat(used.min(room))));
        for row in &cells {
            out.push(line(&|c| row[c].clone()));
        }
        if more > 0 {
            let s = if more == 1 { "" } else { "s" };
            out.push(format!("{indent}… {more} more row{s} (Enter: all)"));
        }
        first_block = false;
        if c <= start {
            break;
        }
        start = c;
        if start < keys.len() {
            out.push(String::new());
        }
    }
}
