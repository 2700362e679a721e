//! The official forms as PDF, with a Chinese font embedded so they print the same on any
//! machine. The HTML form is the official layout; the PDF carries the same content in a
//! simpler one (title, fields, text, signature lines) for archiving and sending.

use printpdf::{BuiltinFont, IndirectFontRef, Mm, PdfDocument, PdfLayerReference};

/// Droid Sans Fallback (Apache-2.0): one file that covers the Chinese characters of names
/// and places. Versions in `assets/vendor/VERSIONS.md`.
const FONT: &[u8] = include_bytes!("../assets/fonts/DroidSansFallback.ttf");

pub struct PdfForm {
    pub unit: String,
    pub title: String,
    pub number: String,
    pub rows: Vec<(String, String)>,
    pub paragraphs: Vec<String>,
    pub signatures: Vec<String>,
}

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 20.0;

/// Width of text in millimetres: full-width characters are one em, others about half.
fn width_mm(text: &str, size_pt: f32) -> f32 {
    let em = size_pt * 0.3528;
    text.chars()
        .map(|c| if c.is_ascii() { em * 0.55 } else { em })
        .sum()
}

/// Breaks text into lines that fit `max_mm`.
fn wrap(text: &str, size_pt: f32, max_mm: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        let mut candidate = line.clone();
        candidate.push(c);
        if width_mm(&candidate, size_pt) > max_mm && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        line.push(c);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

struct Cursor<'a> {
    layer: PdfLayerReference,
    /// Chinese text.
    cjk: &'a IndirectFontRef,
    /// Latin letters and digits, which the Chinese font does not carry.
    latin: &'a IndirectFontRef,
    y: f32,
}

impl Cursor<'_> {
    /// Draws a line, switching font between runs of ASCII and of everything else.
    fn line(&mut self, text: &str, size: f32, x: f32) {
        let mut x = x;
        let mut runs: Vec<(bool, String)> = Vec::new();
        // Dashes typed in place names (丽水—温州) are missing from the Chinese font.
        for ch in text.chars().map(|c| {
            if matches!(c, '—' | '–' | '―') {
                '-'
            } else {
                c
            }
        }) {
            match runs.last_mut() {
                Some((ascii, run)) if *ascii == ch.is_ascii() => run.push(ch),
                _ => runs.push((ch.is_ascii(), ch.to_string())),
            }
        }
        for (ascii, run) in runs {
            let font = if ascii { self.latin } else { self.cjk };
            self.layer
                .use_text(run.as_str(), size, Mm(x), Mm(self.y), font);
            x += width_mm(&run, size);
        }
        self.y -= size * 0.3528 * 1.9;
    }
    fn centred(&mut self, text: &str, size: f32) {
        let x = ((PAGE_W - width_mm(text, size)) / 2.0).max(MARGIN);
        self.line(text, size, x);
    }
}

pub fn render(form: &PdfForm) -> Result<Vec<u8>, String> {
    let (doc, page, layer) = PdfDocument::new(
        format!("{} {}", form.unit, form.title),
        Mm(PAGE_W),
        Mm(PAGE_H),
        "form",
    );
    let cjk = doc.add_external_font(FONT).map_err(|e| e.to_string())?;
    let latin = doc
        .add_builtin_font(BuiltinFont::Helvetica)
        .map_err(|e| e.to_string())?;
    let mut c = Cursor {
        layer: doc.get_page(page).get_layer(layer),
        cjk: &cjk,
        latin: &latin,
        y: PAGE_H - MARGIN - 8.0,
    };
    c.centred(&form.unit, 16.0);
    c.centred(&form.title, 18.0);
    c.y -= 2.0;
    c.line(
        &form.number,
        10.0,
        PAGE_W - MARGIN - width_mm(&form.number, 10.0),
    );
    c.y -= 2.0;
    let body = PAGE_W - 2.0 * MARGIN;
    for (label, value) in &form.rows {
        let text = format!("{label}：{value}");
        for l in wrap(&text, 11.5, body) {
            c.line(&l, 11.5, MARGIN);
        }
    }
    c.y -= 3.0;
    for p in &form.paragraphs {
        for l in wrap(&format!("　　{p}"), 12.5, body) {
            c.line(&l, 12.5, MARGIN);
        }
    }
    c.y -= 10.0;
    for s in &form.signatures {
        c.line(s, 12.0, PAGE_W / 2.0);
        c.y -= 3.0;
    }
    doc.save_to_bytes().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_inside_the_margins() {
        let text = "经甄别，你不符合生活无着的流浪、乞讨人员救助条件。".repeat(3);
        let lines = wrap(&text, 12.5, 170.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width_mm(l, 12.5) <= 170.0));
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn a_form_renders_as_a_pdf_with_the_font_embedded() {
        let pdf = render(&PdfForm {
            unit: "丽水市救助管理站".into(),
            title: "自行离站声明书".into(),
            number: "2026-002-000001".into(),
            rows: vec![("姓名".into(), "周国富".into())],
            paragraphs: vec!["本人自愿离开救助管理站。".into()],
            signatures: vec!["声明人：".into()],
        })
        .unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert!(
            pdf.windows(8).any(|w| w == b"FontFile"),
            "the font is embedded"
        );
    }
}
