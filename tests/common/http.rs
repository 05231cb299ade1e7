//! Reading one HTTP/1.1 request, for the OpenAI-compatible servers the tests run: inside a
//! test (`tests/panel_llm.rs`, `tests/real_model.rs`) and as a process a study starts
//! (`tests/bin/fake_model_server.rs`).

use std::io::BufRead;

/// One request: the lines of its head (the request line first, each with its line end; the
/// blank line that ends the head left out) and its body of Content-Length bytes. `None` when
/// the connection ends first.
pub fn read_request(reader: &mut impl BufRead) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push(line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, body))
}
