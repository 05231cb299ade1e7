//! The figures read as drawn: categories never share a colour and shape, legends show the
//! dashes the lines have, labels never overlap, forest and volcano plots have one panel per
//! model family with that family's axis label, and every figure uses the same few text sizes.
//! Checked on the SVGs themselves, over several hand-built tables (11 and more categories,
//! linear and logistic rows, one family alone).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use meshagents_stats::classify::PredictionRow;
use meshagents_stats::figures::{self, Rect};
use meshagents_stats::phewas::{AssociationRow, Scale};

/// A deterministic stream of numbers in [0, 1), so the tables need no random crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A table of `categories` categories, 4 factors each, 5 phenotypes; factors of every third
/// category are binary (logistic rows) when `logistic`, all linear when not; with `linear`
/// false only the logistic rows are kept.
fn table(seed: u64, categories: usize, (linear, logistic): (bool, bool)) -> Vec<AssociationRow> {
    let mut rng = Lcg(seed);
    let mut rows = Vec::new();
    let m = (categories * 4 * 5) as f64;
    for c in 0..categories {
        for f in 0..4 {
            let binary = logistic && c % 3 == 1;
            if (binary && !logistic) || (!binary && !linear) {
                continue;
            }
            for ph in 0..5 {
                let strong = rng.next() < 0.08;
                let p = if strong {
                    10f64.powf(-4.0 - 20.0 * rng.next())
                } else {
                    rng.next().max(1e-3)
                };
                let beta = (rng.next() - 0.5) * if binary { 3.0 } else { 0.4 };
                let se = 0.05 + 0.1 * rng.next();
                rows.push(AssociationRow {
                    phenotype: format!("Phenotype {ph}"),
                    factor: format!("{c}{f}-0.0"),
                    category: format!("Category number {c}"),
                    model: if binary { "logistic" } else { "linear" }.into(),
                    n: 1000,
                    n_cases: binary.then_some(200),
                    n_controls: binary.then_some(800),
                    beta,
                    se,
                    ci_low: beta - 1.96 * se,
                    ci_high: beta + 1.96 * se,
                    stat: beta / se,
                    p,
                    neg_log10_p: -p.log10(),
                    q_bh: (p * m / 10.0).min(1.0),
                    bonferroni: (p * m).min(1.0),
                    status: "ok".into(),
                    note: String::new(),
                });
            }
        }
    }
    rows
}

/// Long descriptions for the factors, so labels need abbreviating.
fn descriptions(rows: &[AssociationRow]) -> BTreeMap<String, String> {
    rows.iter()
        .map(|r| {
            (
                r.factor.clone(),
                format!(
                    "Time spent on activity {} during leisure (self-reported)",
                    r.factor
                ),
            )
        })
        .collect()
}

/// Every element `<tag .../>` of an SVG, as its attributes.
fn elements(svg: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{tag} ");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let rest = &svg[i + open.len()..];
            let body = &rest[..rest.find('>').unwrap()];
            let mut attrs = BTreeMap::new();
            let mut tail = body;
            while let Some(eq) = tail.find("=\"") {
                let name = tail[..eq].trim().to_string();
                let value_end = tail[eq + 2..].find('"').unwrap();
                attrs.insert(name, tail[eq + 2..eq + 2 + value_end].to_string());
                tail = &tail[eq + 2 + value_end + 1..];
            }
            attrs
        })
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The texts of an SVG's `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.match_indices("<text")
        .map(|(i, _)| {
            let rest = &svg[i..];
            let start = rest.find('>').unwrap() + 1;
            let end = rest.find("</text>").unwrap();
            rest[start..end].trim().to_string()
        })
        .collect()
}

/// Out-of-fold scores of two arms for three diseases, cases scoring higher on average.
fn predictions() -> Vec<PredictionRow> {
    let mut rng = Lcg(99);
    let mut out = Vec::new();
    for disease in ["hypertension", "diabetes", "stroke"] {
        for arm in ["panel", "expert"] {
            for i in 0..80usize {
                let label = rng.next() < 0.3;
                out.push(PredictionRow {
                    disease: disease.into(),
                    arm: arm.into(),
                    classifier: "logistic".into(),
                    fold: i % 5,
                    id: format!("p{i}"),
                    label,
                    score: rng.next() + if label { 0.4 } else { 0.0 },
                });
            }
        }
    }
    out
}

/// The five figures of a table, as SVG text by kind.
fn all_figures(rows: &[AssociationRow], out: &Path) -> BTreeMap<&'static str, String> {
    let labels = descriptions(rows);
    let options = figures::ManhattanOptions {
        factor_labels: labels.clone(),
        ..Default::default()
    };
    let mut svgs = BTreeMap::new();
    let m = figures::manhattan(rows, &out.join("manhattan"), &options).unwrap();
    svgs.insert("manhattan", read(&m.svg));
    let v = figures::volcano(rows, &out.join("volcano"), "Volcano", 6, &labels).unwrap();
    svgs.insert("volcano", read(&v.svg));
    let q = figures::qq(rows, &out.join("qq"), "QQ").unwrap().0;
    svgs.insert("qq", read(&q.svg));
    let f = figures::forest(rows, &out.join("forest"), 8, &labels).unwrap();
    svgs.insert("forest", read(&f.svg));
    let r = figures::roc(&predictions(), "logistic", &out.join("roc")).unwrap();
    svgs.insert("roc", read(&r.svg));
    svgs
}

#[test]
fn categories_never_share_a_colour_and_shape() {
    let marks: Vec<_> = (0..35).map(figures::category_marker).collect();
    let distinct: BTreeSet<_> = marks
        .iter()
        .map(|m| (m.colour.0, m.colour.1, m.colour.2, format!("{:?}", m.shape)))
        .collect();
    assert_eq!(distinct.len(), marks.len(), "35 categories, 35 marks");
    // Neighbours on the axis differ by colour, whatever their shapes.
    for pair in marks.windows(2) {
        assert_ne!(pair[0].colour, pair[1].colour);
    }
    // The 11 categories of a table: every name is under the axis, and the figure uses more
    // than the seven colours' circles (the eighth category onwards is another shape).
    let dir = tempfile::tempdir().unwrap();
    let rows = table(7, 11, (true, true));
    let svg = read(
        &figures::manhattan(&rows, &dir.path().join("m"), &Default::default())
            .unwrap()
            .svg,
    );
    let shown = texts(&svg);
    for c in 0..11 {
        assert!(shown.contains(&format!("Category number {c}")), "{c}");
    }
    assert!(
        !elements(&svg, "polygon").is_empty(),
        "categories past the seventh are drawn as polygons (squares)"
    );
}

/// Whether a polyline is a legend glyph: one horizontal segment of the legend's 22 px.
fn is_glyph(points: &[(i64, i64)]) -> bool {
    points.len() == 2 && points[0].1 == points[1].1 && (points[1].0 - points[0].0) == 22
}

fn points(attrs: &BTreeMap<String, String>) -> Vec<(i64, i64)> {
    attrs["points"]
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn legends_show_the_dashes_the_lines_have() {
    let dir = tempfile::tempdir().unwrap();
    for (seed, categories, families) in [(1, 11, (true, true)), (2, 4, (true, false))] {
        let rows = table(seed, categories, families);
        let svgs = all_figures(&rows, dir.path());
        for kind in ["manhattan", "volcano", "roc"] {
            let lines = elements(&svgs[kind], "polyline");
            let style = |a: &BTreeMap<String, String>| {
                (
                    a["stroke"].clone(),
                    a.get("stroke-dasharray").cloned().unwrap_or_default(),
                )
            };
            let glyphs: Vec<_> = lines.iter().filter(|a| is_glyph(&points(a))).collect();
            assert!(!glyphs.is_empty(), "{kind} has a legend with lines");
            for g in &glyphs {
                assert!(
                    lines
                        .iter()
                        .any(|a| !is_glyph(&points(a)) && style(a) == style(g)),
                    "{kind}: legend glyph {:?} draws no line of the plot",
                    style(g)
                );
            }
            // Every dashed line of the plot has its entry, dashed alike.
            let dashed: BTreeSet<_> = lines
                .iter()
                .filter(|a| a.contains_key("stroke-dasharray"))
                .map(style)
                .collect();
            let shown: BTreeSet<_> = glyphs.iter().map(|g| style(g)).collect();
            assert!(!dashed.is_empty(), "{kind} draws a dashed line");
            assert!(dashed.is_subset(&shown), "{kind}: {dashed:?} vs {shown:?}");
        }
        let manhattan: BTreeSet<_> = elements(&svgs["manhattan"], "polyline")
            .iter()
            .filter_map(|a| a.get("stroke-dasharray").cloned())
            .collect();
        assert!(manhattan.contains("6 4"), "Bonferroni dashed");
        assert!(manhattan.contains("2 3"), "BH dotted");
    }
}

#[test]
fn placed_labels_never_overlap_and_stay_inside() {
    let area = Rect {
        x0: 50.0,
        y0: 20.0,
        x1: 950.0,
        y1: 400.0,
    };
    for seed in 1..=20u64 {
        let mut rng = Lcg(seed);
        let n = 5 + (seed as usize % 20);
        let anchors: Vec<(f64, f64)> = (0..n)
            .map(|_| (60.0 + 880.0 * rng.next(), 25.0 + 370.0 * rng.next()))
            .collect();
        let sizes: Vec<(f64, f64)> = (0..n).map(|_| (40.0 + 160.0 * rng.next(), 17.0)).collect();
        let mut obstacles: Vec<Rect> = anchors.iter().map(|a| Rect::around(*a, 4.0)).collect();
        obstacles.extend(
            (0..200).map(|_| {
                Rect::around((50.0 + 900.0 * rng.next(), 300.0 + 100.0 * rng.next()), 3.0)
            }),
        );
        let placed = figures::place_labels(&anchors, &sizes, &obstacles, area, 6.0);
        assert_eq!(placed.len(), n);
        let boxes: Vec<Rect> = placed.iter().flatten().map(|p| p.rect).collect();
        assert!(boxes.len() >= n / 2, "seed {seed}: most labels find room");
        for (i, b) in boxes.iter().enumerate() {
            assert!(b.inside(&area), "seed {seed}: {b:?} leaves the plot");
            assert!(!obstacles.iter().any(|o| o.overlaps(b)), "covers a point");
            for other in &boxes[i + 1..] {
                assert!(!b.overlaps(other), "seed {seed}: {b:?} and {other:?}");
            }
        }
        for ((p, anchor), size) in placed.iter().zip(&anchors).zip(&sizes) {
            if let Some(p) = p {
                assert!((p.rect.x1 - p.rect.x0 - size.0).abs() < 1e-9);
                assert!((p.rect.y1 - p.rect.y0 - size.1).abs() < 1e-9);
                // Near its point: no further than the widest ring.
                let (nx, ny) = p.rect.nearest(*anchor);
                let widest = 6.0 * figures::LABEL_RINGS[figures::LABEL_RINGS.len() - 1];
                assert!((nx - anchor.0).hypot(ny - anchor.1) <= widest + 1e-9);
                assert_eq!(p.leader, (nx - anchor.0).hypot(ny - anchor.1) > 6.0 + 1e-9);
            }
        }
    }
    // No room at all: the label is left out, not drawn over the point.
    let cramped = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 30.0,
        y1: 30.0,
    };
    let none = figures::place_labels(&[(15.0, 15.0)], &[(100.0, 17.0)], &[], cramped, 6.0);
    assert_eq!(none, vec![None]);
}

#[test]
fn labels_are_abbreviated_by_one_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rows = table(3, 11, (true, true));
    let svgs = all_figures(&rows, dir.path());
    let long = "Time spent on activity";
    for kind in ["manhattan", "volcano", "forest"] {
        let labelled: Vec<String> = texts(&svgs[kind])
            .into_iter()
            .filter(|t| t.contains(long))
            .collect();
        assert!(!labelled.is_empty(), "{kind} labels its hits");
        for t in labelled {
            let name = t.split(" ~ ").find(|part| part.contains(long)).unwrap();
            assert_eq!(
                name,
                figures::abbreviate(name, figures::LABEL_CHARS),
                "{kind}: '{t}'"
            );
            assert!(name.ends_with('…') && name.chars().count() <= figures::LABEL_CHARS);
        }
    }
}

#[test]
fn forest_and_volcano_have_one_panel_per_family() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ((true, true), vec![Scale::StandardisedBeta, Scale::LogOdds]),
        ((true, false), vec![Scale::StandardisedBeta]),
        ((false, true), vec![Scale::LogOdds]),
    ];
    for (seed, (families, present)) in cases.into_iter().enumerate() {
        let rows = table(10 + seed as u64, 11, families);
        let labels = descriptions(&rows);
        let out = dir.path().join(format!("case{seed}"));
        let forest = read(
            &figures::forest(&rows, &out.join("forest"), 6, &labels)
                .unwrap()
                .svg,
        );
        let volcano = read(
            &figures::volcano(&rows, &out.join("volcano"), "V", 4, &labels)
                .unwrap()
                .svg,
        );
        for (kind, svg) in [("forest", &forest), ("volcano", &volcano)] {
            let shown = texts(svg);
            for scale in Scale::ALL {
                let count = |t: &str| shown.iter().filter(|s| *s == t).count();
                let want = usize::from(present.contains(&scale));
                assert_eq!(count(scale.axis_label()), want, "{kind} {scale:?} axis");
                assert_eq!(count(scale.family()), want, "{kind} {scale:?} panel");
            }
            assert!(!shown.iter().any(|t| t == "β"), "{kind}: no bare β axis");
        }
        // A logistic row reads as fitted (factor ~ phenotype) and shows its odds ratio.
        let shown = texts(&forest);
        let logistic = rows.iter().any(|r| r.scale() == Scale::LogOdds);
        assert_eq!(
            shown
                .iter()
                .any(|t| t.starts_with("Time spent") && t.contains(" ~ Phenotype")),
            logistic,
            "forest: logistic rows as factor ~ phenotype"
        );
        assert_eq!(shown.iter().any(|t| t == "OR (95 % CI)"), logistic);
        // The volcano is one 520 px panel per family.
        let svg = &elements(&volcano, "svg")[0];
        assert_eq!(svg["width"], (520 * present.len()).to_string());
    }
}

#[test]
fn every_figure_uses_the_same_few_text_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let t = figures::TEXT;
    let allowed: BTreeSet<i64> = [t.title, t.axis, t.tick, t.label, t.legend]
        .iter()
        .map(|s| (s * 100.0).round() as i64)
        .collect();
    let mut sets = Vec::new();
    for (seed, families) in [(4, (true, true)), (5, (true, false))] {
        let rows = table(seed, 11, families);
        for (kind, svg) in all_figures(&rows, dir.path()) {
            // plotters writes a font of size s as font-size s / 1.24.
            let sizes: BTreeSet<i64> = elements(&svg, "text")
                .iter()
                .map(|a| (a["font-size"].parse::<f64>().unwrap() * 124.0).round() as i64)
                .collect();
            assert!(
                sizes.is_subset(&allowed),
                "{kind}: {sizes:?} not in {allowed:?}"
            );
            sets.push((kind, sizes));
        }
    }
    for (kind, sizes) in &sets {
        assert_eq!(sizes, &sets[0].1, "{kind} and {} differ", sets[0].0);
    }
    assert!(allowed.len() <= 3, "at most three sizes: {allowed:?}");
}
