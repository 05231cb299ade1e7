//! Times the linfa classifiers (and the ndarray LDA) of `classify` on one data set, for
//! `bench/classify_bench.py`, which times scikit-learn on the same file:
//! `cargo run --release -p meshagents-stats --example classify_bench -- DATA.csv REPEATS [CLASSIFIERS]`
//! DATA.csv: numeric feature columns then a 0/1 column `label`. Prints one JSON object per
//! classifier: the median fit-and-score time over REPEATS and the training AUC (to check
//! both sides fit comparable models).

use std::time::Instant;

use meshagents_stats::classify::cv::Preprocessor;
use meshagents_stats::classify::metrics::auc;
use meshagents_stats::classify::models::fit_and_score;
use meshagents_stats::classify::{Classifier, FeatureMatrix};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, repeats) = match args.as_slice() {
        [p, r, ..] => (p.clone(), r.parse::<usize>()?),
        _ => return Err("usage: classify_bench DATA.csv REPEATS [logistic,svm,...]".into()),
    };
    let which: Vec<Classifier> = match args.get(2) {
        Some(list) => list.split(',').filter_map(Classifier::parse).collect(),
        None => Classifier::ALL.to_vec(),
    };
    let text = std::fs::read_to_string(&path)?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .ok_or("empty file")?
        .split(',')
        .map(String::from)
        .collect();
    let p = header.len() - 1;
    let mut cols = vec![Vec::new(); p];
    let mut labels = Vec::new();
    for line in lines {
        let v: Vec<f64> = line
            .split(',')
            .map(|x| x.parse::<f64>())
            .collect::<Result<_, _>>()?;
        for j in 0..p {
            cols[j].push(v[j]);
        }
        labels.push(v[p] != 0.0);
    }
    let slices: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let x = FeatureMatrix::from_columns(header[..p].to_vec(), &slices)?;
    let rows: Vec<usize> = (0..labels.len()).collect();
    // As scikit-learn's StandardScaler on the whole file: both sides fit scaled data.
    let scaled = Preprocessor::fit(&x, &rows).transform(&x, &rows);
    for c in which {
        let mut times = Vec::new();
        let mut train_auc = f64::NAN;
        for _ in 0..repeats {
            let start = Instant::now();
            let scores = fit_and_score(c, &scaled, &labels, (1.0, 1.0), &[&scaled])?;
            times.push(start.elapsed().as_secs_f64());
            train_auc = auc(&scores[0], &labels)?;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"classifier\": \"{}\", \"n\": {}, \"p\": {p}, \"median_s\": {:.6}, \"train_auc\": {train_auc:.6}}}",
            c.name(),
            labels.len(),
            times[times.len() / 2]
        );
    }
    Ok(())
}
