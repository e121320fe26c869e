//! Reading rendered PDFs back with poppler-utils (`pdftotext`, `pdfinfo`, `pdffonts`), shared by the
//! integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::Command;

/// Runs `tool args… file.pdf -`-style commands on `pdf`; `None` when the tool is missing outside CI.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Option<String> {
    let mut file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    file.write_all(pdf).unwrap();
    file.flush().unwrap();
    let output = match Command::new(tool)
        .args(args)
        .arg(file.path())
        .args(tool_tail(tool))
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("CI").is_some() {
                panic!("`{tool}` is missing: install poppler-utils (apt-get install poppler-utils)");
            }
            // Straight to stderr: libtest captures `eprintln!`, and a skip must be visible.
            let _ = writeln!(
                std::io::stderr(),
                "note: `{tool}` not found, PDF content not checked (install poppler-utils)"
            );
            return None;
        }
        Err(e) => panic!("running {tool}: {e}"),
    };
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

fn tool_tail(tool: &str) -> &'static [&'static str] {
    if tool == "pdftotext" { &["-"] } else { &[] }
}

pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    poppler("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// Whitespace (including the no-break spaces of French typography) collapsed to single spaces, so
/// assertions do not depend on where lines were wrapped.
pub fn flat(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn page_count(pdf: &[u8]) -> Option<usize> {
    let info = poppler("pdfinfo", &[], pdf)?;
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo prints Pages");
    Some(line.trim_start_matches("Pages:").trim().parse().unwrap())
}

/// Every word's box, from `pdftotext -bbox`, lies within the 20 mm side margins and on the page.
pub fn assert_words_inside_margins(pdf: &[u8]) {
    let html = poppler("pdftotext", &["-bbox"], pdf).unwrap();
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut words = 0;
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        words += 1;
        let (x_min, x_max) = (attr(line, "xMin"), attr(line, "xMax"));
        let (y_min, y_max) = (attr(line, "yMin"), attr(line, "yMax"));
        // 56.69 pt margins, with some rounding slack.
        assert!(
            x_min >= 56.0 && x_max <= 595.28 - 56.0,
            "outside the side margins: {line}"
        );
        assert!(y_min >= 0.0 && y_max <= 841.89, "off the page: {line}");
    }
    assert!(words > 0);
}

/// A word as `pdftotext -bbox` places it: page (from 1), text, and its box in points from the
/// top-left corner of the page.
#[derive(Debug, Clone)]
pub struct Word {
    pub page: usize,
    pub text: String,
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub y_max: f32,
}

pub fn words(pdf: &[u8]) -> Option<Vec<Word>> {
    let html = poppler("pdftotext", &["-bbox"], pdf)?;
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut page = 0;
    let mut out = Vec::new();
    for line in html.lines().map(str::trim_start) {
        if line.starts_with("<page") {
            page += 1;
        } else if line.starts_with("<word") {
            let text = line.split('>').nth(1).unwrap().split('<').next().unwrap();
            out.push(Word {
                page,
                text: text
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">"),
                x_min: attr(line, "xMin"),
                y_min: attr(line, "yMin"),
                x_max: attr(line, "xMax"),
                y_max: attr(line, "yMax"),
            });
        }
    }
    Some(out)
}

/// The text of every page without its footer (the last line of a page), flattened: a paragraph
/// running over a page break then reads as one, as it does from the structure tree.
pub fn body_text(pdf: &[u8]) -> Option<String> {
    let text = pdftotext(pdf)?;
    let pages: Vec<String> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(|page| {
            let mut lines: Vec<&str> = page.lines().filter(|l| !l.trim().is_empty()).collect();
            lines.pop();
            lines.join("\n")
        })
        .collect();
    Some(flat(&pages.join("\n")))
}
