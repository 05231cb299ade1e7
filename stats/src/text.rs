//! How a name is shortened for a table, a figure or a report: one rule everywhere, so a
//! description reads the same in the LaTeX export, the figures and the report.

/// `text` cut to at most `max` characters at a word boundary, with an ellipsis: a name is
/// abbreviated where a reader can still tell what it is, not in the middle of a word. A first
/// word longer than half the width is cut inside (there is no boundary to keep).
pub fn abbreviate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max || max < 2 {
        return text.to_string();
    }
    let head: Vec<char> = text.chars().take(max).collect();
    // A hyphen is no boundary: "self-reported" cut to "self…" says less than nothing.
    let boundary = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(');
    let cut = (max / 2..max)
        .rev()
        .find(|&i| boundary(head[i]))
        .unwrap_or(max - 1);
    let kept: String = head[..cut].iter().collect();
    let kept = kept.trim_end_matches(|c: char| c.is_whitespace() || ",;:(".contains(c));
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_cut_at_a_word_with_an_ellipsis() {
        assert_eq!(abbreviate("Pork intake", 30), "Pork intake");
        assert_eq!(
            abbreviate("Time spent watching television (TV)", 30),
            "Time spent watching…"
        );
        assert_eq!(
            abbreviate("Atrial fibrillation (self-reported)", 30),
            "Atrial fibrillation…"
        );
        assert_eq!(
            abbreviate("Supercalifragilisticexpialidocious", 10),
            "Supercali…"
        );
        for text in [
            "a b c d e f g h i j k l m n o p",
            "Comparative body size at age 10",
        ] {
            assert!(abbreviate(text, 12).chars().count() <= 12);
        }
    }

    #[test]
    fn long_texts_and_identifiers_are_cut_within_the_budget() {
        assert_eq!(abbreviate("Atrial fibrillation", 40), "Atrial fibrillation");
        assert_eq!(
            abbreviate("Atrial fibrillation (self-reported), any visit", 30),
            "Atrial fibrillation…"
        );
        assert_eq!(abbreviate("Pack_years_of_smoking_adult", 10), "Pack_year…");
        assert!(abbreviate(&"word ".repeat(40), 50).chars().count() <= 50);
    }
}
