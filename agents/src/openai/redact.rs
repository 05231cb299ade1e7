//! Secrets out of what a server says. A server may echo the API key (OpenAI's 401 names the
//! key it refused; a proxy's error page may quote the request's `Authorization` header), and
//! what it says reaches the terminal, the journal, the events file and the transcripts. So
//! every reply body is cleaned before anything reads it: the key itself, and the value of any
//! `Authorization` header quoted in it, become `[redacted]`.

const REDACTED: &str = "[redacted]";

/// `text` without `key` (when there is one) and without any quoted `Authorization` value.
pub(super) fn redact(text: &str, key: Option<&str>) -> String {
    let mut out = match key.filter(|k| !k.is_empty()) {
        Some(key) => text.replace(key, REDACTED),
        None => text.to_string(),
    };
    let mut from = 0;
    while let Some(at) = find_ignoring_case(&out[from..], "authorization").map(|i| from + i) {
        let after = at + "authorization".len();
        // The separator: `: `, `=`, or JSON's `":"` (escaped or not).
        let value_start = out[after..]
            .find(|c: char| !matches!(c, '"' | '\'' | ':' | '=' | ' ' | '\\'))
            .map_or(out.len(), |i| after + i);
        let value_end = out[value_start..]
            .find(['"', '\'', ',', '\n', '\r', '<', '\\', '}'])
            .map_or(out.len(), |i| value_start + i);
        // A separator is what makes it a header and not the word in a sentence.
        let separated = out[after..value_start].contains([':', '=', '"']);
        if separated && value_end > value_start && out[value_start..value_end] != *REDACTED {
            out.replace_range(value_start..value_end, REDACTED);
            from = value_start + REDACTED.len();
        } else {
            from = after;
        }
    }
    out
}

/// Where `needle` (ASCII) first stands in `text`, in any case.
fn find_ignoring_case(text: &str, needle: &str) -> Option<usize> {
    text.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn the_key_and_authorization_values_are_redacted_and_the_rest_is_kept() {
        let key = "sk-test-0123456789";
        let said = "Incorrect API key provided: sk-test-0123456789.\nAuthorization: Bearer other-token\n{\"authorization\":\"Basic dXNlcjpwYXNz\"} AUTHORIZATION=tok3";
        assert_eq!(
            redact(said, Some(key)),
            "Incorrect API key provided: [redacted].\nAuthorization: [redacted]\n{\"authorization\":\"[redacted]\"} AUTHORIZATION=[redacted]"
        );
        // Words, not headers, are left alone.
        let prose = "no authorization needed; the authorization of a study";
        assert_eq!(redact(prose, None), prose);
        assert_eq!(
            redact("ends with Authorization:", None),
            "ends with Authorization:"
        );
    }
}
