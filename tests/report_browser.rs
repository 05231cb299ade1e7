//! The study report as a browser lays it out: Debian's Chromium, headless, loads a copy of
//! `report.html` into which a small script is injected that measures the page after layout
//! and writes what it found into the DOM, which `--dump-dom` hands back. A report passes when
//! no element reaches past the viewport (a table may scroll inside its own `overflow-x:auto`
//! box, the page may not) and no number is broken across lines, at a wide and a narrow
//! window, for two studies. Skipped without Chromium, except under CI, which installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{meshagents, p, text};

const CHROMIUM: &str = "chromium";

/// How long one page may take before the test gives up on Chromium as hung. Generous: a
/// loaded machine renders the report in seconds.
const HUNG: Duration = Duration::from_secs(300);

/// Run after layout (`load`: the inline figures are decoded and sized). Every `<details>` is
/// opened first so that the tables folded in them are measured too.
const PROBE: &str = r#"<script>
window.addEventListener('load', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var width = document.documentElement.clientWidth;
  var findings = [];
  function describe(el) {
    var name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
    return name + ' "' + (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80) + '"';
  }
  function scrolls(el) {
    for (var a = el.parentElement; a; a = a.parentElement) {
      var o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') { return true; }
    }
    return false;
  }
  var all = document.body.getElementsByTagName('*');
  var measured = 0;
  for (var i = 0; i < all.length; i++) {
    var r = all[i].getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { continue; }
    measured++;
    if (r.right > width + 0.5 && !scrolls(all[i])) {
      findings.push('WIDE right=' + r.right.toFixed(1) + ' > ' + width + ': ' + describe(all[i]));
    }
  }
  var numbers = document.querySelectorAll('td.n, span.n');
  for (var j = 0; j < numbers.length; j++) {
    var range = document.createRange();
    range.selectNodeContents(numbers[j]);
    var rects = range.getClientRects(), lines = [];
    for (var k = 0; k < rects.length; k++) {
      if (rects[k].width === 0) { continue; }
      var top = rects[k].top;
      if (!lines.some(function (t) { return Math.abs(t - top) < 3; })) { lines.push(top); }
    }
    if (lines.length > 1) {
      findings.push('WRAPPED over ' + lines.length + ' lines: ' + describe(numbers[j]));
    }
  }
  var out = document.createElement('pre');
  out.id = 'layout-probe';
  out.textContent = 'MEASURED ' + measured + ' ELEMENTS ' + numbers.length + ' NUMBERS WIDTH ' + width
    + '\n' + findings.join('\n') + '\nEND';
  document.body.appendChild(out);
});
</script>
"#;

/// Whether Chromium can run here; `false` (after saying so) outside CI, a failure under CI.
fn available() -> bool {
    if Command::new(CHROMIUM).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "chromium is required under CI (.ci/run installs it)"
    );
    eprintln!("SKIPPED: chromium is not installed (apt-get install -y chromium)");
    false
}

/// Runs headless Chromium with `args` then `url`, killing it (and failing) if it hangs.
fn chromium(scratch: &Path, width: u32, args: &[String], url: &str) -> String {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--window-size={width},900"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes on threads so that a chatty Chromium cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > HUNG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within {HUNG:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = out.join().unwrap().unwrap_or_default();
    let err = err.join().unwrap().unwrap_or_default();
    assert!(
        status.success(),
        "chromium failed on {url}: {status}\n{err}"
    );
    out
}

/// The report with the probe injected before `</body>`, as a file next to the original (so
/// relative links, if any, would resolve the same).
fn probed_copy(report: &Path) -> PathBuf {
    let html = std::fs::read_to_string(report).unwrap();
    assert!(
        !html.contains("<script"),
        "the report itself runs no script"
    );
    let (head, tail) = html
        .rsplit_once("</body>")
        .expect("the report ends its body");
    let copy = report.with_file_name("report-probed.html");
    std::fs::write(&copy, format!("{head}{PROBE}</body>{tail}")).unwrap();
    copy
}

/// Lays `report` out at `width` and returns what the probe found (one line each).
fn findings(scratch: &Path, report: &Path, width: u32) -> Vec<String> {
    let copy = probed_copy(report);
    let url = format!("file://{}", copy.display());
    let dom = chromium(scratch, width, &["--dump-dom".into()], &url);
    let probe = dom
        .split_once("<pre id=\"layout-probe\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .unwrap_or_else(|| panic!("the probe wrote nothing at width {width}: {dom:.2000}"))
        .0;
    let mut lines = probe.lines();
    let summary = lines.next().unwrap_or_default().to_string();
    let words: Vec<&str> = summary.split(' ').collect();
    assert_eq!(words[6], width.to_string(), "{summary}");
    let measured: usize = words[1].parse().unwrap();
    let numbers: usize = words[3].parse().unwrap();
    assert!(
        measured > 200 && numbers > 50,
        "the probe saw the page: {summary}"
    );
    lines
        .take_while(|l| *l != "END")
        .filter(|l| !l.is_empty())
        .map(|l| format!("width {width}: {l}"))
        .collect()
}

/// A demo study of `n` participants from `seed` into `dir/study-SEED`; its report.
fn demo_report(dir: &Path, n: &str, seed: &str, factors: &str) -> PathBuf {
    let out = dir.join(format!("study-{seed}"));
    let run = meshagents(&[
        "demo",
        "--n",
        n,
        "--seed",
        seed,
        "--factors",
        factors,
        "--out",
        p(&out),
    ]);
    assert!(run.status.success(), "{}", text(&run));
    out.join("report.html")
}

#[test]
fn the_report_fits_the_window_and_keeps_numbers_whole() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reports = [
        demo_report(dir.path(), "3000", "42", "320"),
        demo_report(dir.path(), "900", "11", "80"),
    ];
    let mut found = Vec::new();
    for report in &reports {
        for width in [1280, 800] {
            found.extend(
                findings(dir.path(), report, width)
                    .into_iter()
                    .map(|f| format!("{}: {f}", report.display())),
            );
        }
    }
    // A picture to look at (kept in the temp dir while the test runs; MESHAGENTS_KEEP_SCREENSHOT
    // names a folder to copy it to).
    let shot = dir.path().join("report-1280.png");
    chromium(
        dir.path(),
        1280,
        &[format!("--screenshot={}", shot.display())],
        &format!("file://{}", reports[0].display()),
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    if let Ok(keep) = std::env::var("MESHAGENTS_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, Path::new(&keep).join("report-1280.png")).unwrap();
    }
    assert!(found.is_empty(), "layout problems:\n{}", found.join("\n"));
}
