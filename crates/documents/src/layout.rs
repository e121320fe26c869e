//! A tiny page composer on top of printpdf's raw operations: a cursor moving down an A4 page,
//! greedy line wrapping measured with the real font advances, page breaks, and a footer with
//! "page n sur N" added once the page count is known.
//!
//! Every line is its own text object placed with an absolute text matrix, and lines are emitted
//! in reading order, so text extraction (and screen readers working from it) reads the letter
//! top to bottom.
//!
//! A composer made with [`Composer::tagged`] also records a structure tree: text written between
//! [`Composer::begin`] and [`Composer::end`] is marked content (`/P <</MCID n>> BDC … EMC`) owned by
//! one structure element (a heading or a paragraph), and everything else (footers, panels, rules)
//! is marked as an artifact, so assistive technology reads the elements and skips the decoration.
//! `pdf.rs` writes the tree itself: printpdf has marked-content operators but no structure tree.

use std::collections::BTreeMap;

use printpdf::{
    Color, DictItem, Line, LinePoint, Op, PaintMode, PdfFontHandle, PdfPage, Point, Pt, Rect, Rgb, TextItem,
    TextMatrix,
};

use crate::fonts::{Fonts, Weight};

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm side margins.
pub(crate) const MARGIN_X: f32 = 56.69;
const MARGIN_TOP: f32 = 56.69;
/// Room for the footer under the text block.
const MARGIN_BOTTOM: f32 = 54.0;
const FOOTER_Y: f32 = 30.0;
/// Padding inside a grey panel.
const PANEL_PAD: f32 = 8.0;
pub(crate) const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

// Greys chosen for contrast on white (and on the panel grey): MUTED is about 7:1, above the
// 4.5:1 WCAG AA asks for small text, so de-emphasised labels stay readable when printed.
const INK: Rgb = Rgb {
    r: 0.1,
    g: 0.1,
    b: 0.1,
    icc_profile: None,
};
const MUTED: Rgb = Rgb {
    r: 0.33,
    g: 0.33,
    b: 0.33,
    icc_profile: None,
};
const RULE: Rgb = Rgb {
    r: 0.6,
    g: 0.6,
    b: 0.6,
    icc_profile: None,
};
const PANEL: Rgb = Rgb {
    r: 0.93,
    g: 0.93,
    b: 0.93,
    icc_profile: None,
};

/// How a run of text looks: face, size, line height and whether it is de-emphasised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub(crate) weight: Weight,
    pub(crate) size: f32,
    pub(crate) leading: f32,
    pub(crate) muted: bool,
}

impl Style {
    pub(crate) const TITLE: Style = Style {
        weight: Weight::Bold,
        size: 16.0,
        leading: 21.0,
        muted: false,
    };
    pub(crate) const HEADING: Style = Style {
        weight: Weight::Bold,
        size: 12.0,
        leading: 16.0,
        muted: false,
    };
    pub(crate) const SUBHEADING: Style = Style {
        weight: Weight::Bold,
        size: 10.5,
        leading: 14.0,
        muted: false,
    };
    pub(crate) const BODY: Style = Style {
        weight: Weight::Regular,
        size: 10.0,
        leading: 13.5,
        muted: false,
    };
    pub(crate) const STRONG: Style = Style {
        weight: Weight::Bold,
        size: 10.0,
        leading: 13.5,
        muted: false,
    };
    pub(crate) const LABEL: Style = Style {
        weight: Weight::Bold,
        size: 9.0,
        leading: 12.0,
        muted: true,
    };
    pub(crate) const SMALL: Style = Style {
        weight: Weight::Regular,
        size: 9.0,
        leading: 12.0,
        muted: false,
    };
    pub(crate) const FOOTER: Style = Style {
        weight: Weight::Regular,
        size: 8.0,
        leading: 10.0,
        muted: true,
    };
}

/// The standard structure types (ISO 32000-1, 14.8.4.3) letters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    P,
    H1,
    H2,
    H3,
}

impl Tag {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tag::P => "P",
            Tag::H1 => "H1",
            Tag::H2 => "H2",
            Tag::H3 => "H3",
        }
    }
}

/// One structure element and the marked-content sequences it owns, as (page index, MCID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) tag: Tag,
    pub(crate) kids: Vec<(usize, i64)>,
}

/// Splits `text` into lines no wider than `max_width`, as measured by `measure`.
///
/// Hard line breaks (`\n`) are kept; runs of spaces collapse to one; a word wider than the whole
/// line (a long file name, an e-mail address) is cut between characters rather than overflowing
/// the margin. An empty input gives no lines. `measure` must be additive (the width of a string is
/// the sum of its characters' widths), which holds for printpdf's unkerned glyph runs.
pub fn wrap_text(text: &str, max_width: f32, measure: impl Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let space = measure(" ");
    for hard_line in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0_f32;
        for word in hard_line.split([' ', '\t', '\r']).filter(|w| !w.is_empty()) {
            let word_width = measure(word);
            let needed = if line.is_empty() {
                word_width
            } else {
                line_width + space + word_width
            };
            if needed <= max_width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_width = needed;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            if word_width <= max_width {
                line.push_str(word);
                line_width = word_width;
                continue;
            }
            // The word alone is too wide: fill lines character by character.
            for c in word.chars() {
                let mut buf = [0u8; 4];
                let cw = measure(c.encode_utf8(&mut buf));
                if !line.is_empty() && line_width + cw > max_width {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += cw;
            }
        }
        if !line.is_empty() || (hard_line.trim().is_empty() && text.contains('\n')) {
            lines.push(line);
        }
    }
    // Blank hard lines only separate text; drop the ones at either end.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let leading_blank = lines.iter().take_while(|l| l.is_empty()).count();
    lines.drain(..leading_blank);
    lines
}

/// Lays text out on A4 pages, top to bottom.
pub(crate) struct Composer {
    fonts: &'static Fonts,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Top of the next line, in points from the bottom of the page (PDF coordinates).
    y: f32,
    /// Printed at the bottom of every page, followed by "page n sur N".
    footer: String,
    /// `page` (receipt, unchanged) or `Page` (letters: « Page 1 sur 2 »).
    page_word: &'static str,
    /// Whether to mark content and record [`Element`]s.
    tagged: bool,
    elements: Vec<Element>,
    /// The element receiving text, if any; text outside any element is an artifact.
    open: Option<usize>,
    /// Next marked-content id on the current page (MCIDs are numbered per page).
    next_mcid: i64,
}

impl Composer {
    pub(crate) fn new(fonts: &'static Fonts, footer: String) -> Self {
        Composer {
            fonts,
            pages: Vec::new(),
            ops: Vec::with_capacity(256),
            y: PAGE_HEIGHT - MARGIN_TOP,
            footer,
            page_word: "page",
            tagged: false,
            elements: Vec::new(),
            open: None,
            next_mcid: 0,
        }
    }

    /// A composer for a tagged letter: structure elements are recorded and the footer reads
    /// « Page n sur N ».
    pub(crate) fn tagged(fonts: &'static Fonts, footer: String) -> Self {
        Composer {
            page_word: "Page",
            tagged: true,
            ..Composer::new(fonts, footer)
        }
    }

    /// Starts a structure element: the text written until [`Composer::end`] belongs to it.
    /// Does nothing on an untagged composer.
    pub(crate) fn begin(&mut self, tag: Tag) {
        if self.tagged {
            self.elements.push(Element {
                tag,
                kids: Vec::new(),
            });
            self.open = Some(self.elements.len() - 1);
        }
    }

    /// Closes the element [`Composer::begin`] opened.
    pub(crate) fn end(&mut self) {
        self.open = None;
    }

    /// `text` wrapped to the text block from `indent` and written as one structure element.
    pub(crate) fn block(&mut self, tag: Tag, text: &str, style: Style, indent: f32) {
        self.begin(tag);
        self.paragraph(text, style, indent);
        self.end();
    }

    /// Opens a marked-content sequence around the next drawing, when tagged: owned by the open
    /// element, or an artifact. Returns whether one was opened, to be closed with `EMC`.
    fn mark(&mut self) -> bool {
        if !self.tagged {
            return false;
        }
        match self.open.and_then(|i| self.elements.get_mut(i)) {
            Some(element) => {
                let mcid = self.next_mcid;
                self.next_mcid += 1;
                element.kids.push((self.pages.len(), mcid));
                let tag = element.tag.name().to_owned();
                self.ops.push(Op::BeginMarkedContentWithProperties {
                    tag,
                    properties: DictItem::Dict {
                        map: BTreeMap::from([("MCID".to_owned(), DictItem::Int(mcid))]),
                    },
                });
            }
            None => self.ops.push(Op::BeginMarkedContent {
                tag: "Artifact".to_owned(),
            }),
        }
        true
    }

    fn unmark(&mut self, marked: bool) {
        if marked {
            self.ops.push(Op::EndMarkedContent);
        }
    }

    /// Top of the next line, in points from the bottom of the page.
    pub(crate) fn y(&self) -> f32 {
        self.y
    }

    /// Puts the cursor at `y` (points from the bottom of the page), up or down.
    pub(crate) fn set_y(&mut self, y: f32) {
        self.y = y;
    }

    /// Puts the cursor `from_top` points below the top edge, up or down: for blocks placed at a
    /// fixed spot of the first page (the address under an envelope window).
    pub(crate) fn jump_to(&mut self, from_top: f32) {
        self.y = PAGE_HEIGHT - from_top;
    }

    /// Width of `text` in `style`.
    pub(crate) fn width(&self, text: &str, style: Style) -> f32 {
        self.fonts.face(style.weight).width(text, style.size)
    }

    /// `text` wrapped to `width` in `style`.
    pub(crate) fn wrap(&self, text: &str, style: Style, width: f32) -> Vec<String> {
        let face = self.fonts.face(style.weight);
        wrap_text(text, width, |s| face.width(s, style.size))
    }

    /// Points left above the bottom margin.
    pub(crate) fn room(&self) -> f32 {
        self.y - MARGIN_BOTTOM
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub(crate) fn keep(&mut self, height: f32) {
        if height > self.room() {
            self.new_page();
        }
    }

    /// Closes the current page; the footer is added by [`Composer::finish`].
    pub(crate) fn new_page(&mut self) {
        let ops = std::mem::replace(&mut self.ops, Vec::with_capacity(256));
        self.pages.push(ops);
        self.y = PAGE_HEIGHT - MARGIN_TOP;
        self.next_mcid = 0;
    }

    /// Vertical space. A gap never pushes text to a new page by itself: at the foot of a page it is
    /// swallowed, so the next page does not start with a blank.
    pub(crate) fn gap(&mut self, height: f32) {
        self.y -= height.min(self.room().max(0.0));
    }

    /// One line of text with its baseline at (`x`, `y`), without moving the cursor.
    fn put(&mut self, text: &str, style: Style, x: f32, y: f32) {
        let face = self.fonts.face(style.weight);
        let text = face.printable(text);
        let marked = self.mark();
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFillColor {
            col: Color::Rgb(if style.muted { MUTED } else { INK }),
        });
        self.ops.push(Op::SetFont {
            font: font_handle(style.weight),
            size: Pt(style.size),
        });
        self.ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(x), Pt(y)),
        });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.into_owned())],
        });
        self.ops.push(Op::EndTextSection);
        self.unmark(marked);
    }

    /// Writes already-wrapped `lines` at `x`, breaking pages between lines.
    pub(crate) fn lines(&mut self, lines: &[String], style: Style, x: f32) {
        for (i, line) in lines.iter().enumerate() {
            self.keep(style.leading);
            if !line.is_empty() {
                let baseline = self.y - style.size;
                if self.tagged && i + 1 < lines.len() {
                    // Wrapping ate the space between this line and the next; text read from the
                    // structure tree (not by position) would glue the two words without it.
                    self.put(&format!("{line} "), style, x, baseline);
                } else {
                    self.put(line, style, x, baseline);
                }
            }
            self.y -= style.leading;
        }
    }

    /// Wraps `text` to the text block from `indent` and writes it.
    pub(crate) fn paragraph(&mut self, text: &str, style: Style, indent: f32) {
        let lines = self.wrap(text, style, TEXT_WIDTH - indent);
        self.lines(&lines, style, MARGIN_X + indent);
    }

    /// A label and a value on one line, sharing a baseline; the caller checked they fit.
    pub(crate) fn pair(&mut self, label: &str, label_style: Style, value: &str, value_style: Style) {
        let leading = label_style.leading.max(value_style.leading);
        self.keep(leading);
        let baseline = self.y - label_style.size.max(value_style.size);
        self.put(label, label_style, MARGIN_X, baseline);
        let x = MARGIN_X + self.width(label, label_style) + self.width(" ", value_style);
        self.put(value, value_style, x, baseline);
        self.y -= leading;
    }

    /// One line right-aligned on the text block's right edge.
    pub(crate) fn right_aligned(&mut self, text: &str, style: Style) {
        self.keep(style.leading);
        let x = PAGE_WIDTH - MARGIN_X - self.width(text, style);
        let baseline = self.y - style.size;
        self.put(text, style, x.max(MARGIN_X), baseline);
        self.y -= style.leading;
    }

    /// A hairline across the text block.
    pub(crate) fn rule(&mut self) {
        self.keep(8.0);
        let y = self.y - 3.0;
        let open = self.open.take();
        let marked = self.mark();
        self.ops.push(Op::SetOutlineColor {
            col: Color::Rgb(RULE),
        });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: Point {
                            x: Pt(MARGIN_X),
                            y: Pt(y),
                        },
                        bezier: false,
                    },
                    LinePoint {
                        p: Point {
                            x: Pt(PAGE_WIDTH - MARGIN_X),
                            y: Pt(y),
                        },
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        });
        self.unmark(marked);
        self.open = open;
        self.y -= 8.0;
    }

    /// A grey panel behind `rows` (each already wrapped, with its style), kept on one page:
    /// the important facts of a document (the answer date, the amount) stand out at a glance.
    pub(crate) fn panel(&mut self, rows: &[(Vec<String>, Style)]) {
        let height = Self::panel_height(rows);
        if height > PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM {
            // Taller than a page (absurdly long input): a background cannot span pages, so the
            // text flows without it rather than running off the sheet.
            for (lines, style) in rows {
                self.begin(Tag::P);
                self.lines(lines, *style, MARGIN_X);
                self.end();
            }
            return;
        }
        self.keep(height);
        let top = self.y;
        self.end();
        let marked = self.mark();
        self.ops.push(Op::SetFillColor {
            col: Color::Rgb(PANEL),
        });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(MARGIN_X),
                y: Pt(top - height),
                width: Pt(TEXT_WIDTH),
                height: Pt(height),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
        self.unmark(marked);
        self.y -= PANEL_PAD;
        for (lines, style) in rows {
            // Each row is a paragraph of its own for assistive technology.
            self.begin(Tag::P);
            self.lines(lines, *style, MARGIN_X + PANEL_PAD);
            self.end();
        }
        self.y = top - height;
    }

    /// Height [`Composer::panel`] takes for `rows`, to keep a heading with its panel.
    pub(crate) fn panel_height(rows: &[(Vec<String>, Style)]) -> f32 {
        rows.iter()
            .map(|(lines, s)| s.leading * lines.len() as f32)
            .sum::<f32>()
            + 2.0 * PANEL_PAD
    }

    /// A list item: a bullet, then `text` wrapped with a hanging indent.
    pub(crate) fn bullet(&mut self, text: &str, style: Style) {
        const HANG: f32 = 12.0;
        let lines = self.wrap(text, style, TEXT_WIDTH - HANG);
        if lines.is_empty() {
            return;
        }
        self.keep(style.leading * lines.len().min(2) as f32);
        let baseline = self.y - style.size;
        self.put("•", style, MARGIN_X + 2.0, baseline);
        self.lines(&lines, style, MARGIN_X + HANG);
    }

    /// The issuing authority at the top left: name, service, address and contact lines.
    pub(crate) fn letterhead(&mut self, letterhead: &crate::Letterhead) {
        let width = TEXT_WIDTH * 0.55;
        let name = self.wrap(&letterhead.name, Style::HEADING, width);
        self.lines(&name, Style::HEADING, MARGIN_X);
        if let Some(service) = &letterhead.service {
            let service = self.wrap(service, Style::STRONG, width);
            self.lines(&service, Style::STRONG, MARGIN_X);
        }
        for line in letterhead.address_lines.iter().chain(&letterhead.contact_lines) {
            let wrapped = self.wrap(line, Style::SMALL, width);
            self.lines(&wrapped, Style::SMALL, MARGIN_X);
        }
    }

    /// Text width available inside a panel.
    pub(crate) const PANEL_TEXT_WIDTH: f32 = TEXT_WIDTH - 2.0 * PANEL_PAD;

    /// Closes the last page and stamps every page with the footer and its number. Also gives the
    /// structure elements recorded (none on an untagged composer).
    pub(crate) fn finish(mut self) -> (Vec<PdfPage>, Vec<Element>) {
        self.new_page();
        self.end();
        let total = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        let page_word = self.page_word;
        let pages = pages
            .into_iter()
            .enumerate()
            .map(|(i, mut ops)| {
                let footer = format!("{} · {page_word} {} sur {}", self.footer, i + 1, total);
                std::mem::swap(&mut self.ops, &mut ops);
                self.put(&footer, Style::FOOTER, MARGIN_X, FOOTER_Y);
                std::mem::swap(&mut self.ops, &mut ops);
                PdfPage::new(
                    printpdf::Mm::from(Pt(PAGE_WIDTH)),
                    printpdf::Mm::from(Pt(PAGE_HEIGHT)),
                    ops,
                )
            })
            .collect();
        (pages, std::mem::take(&mut self.elements))
    }
}

fn font_handle(weight: Weight) -> PdfFontHandle {
    PdfFontHandle::External(crate::pdf::font_id(weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One unit per character, so expectations can be read off the strings.
    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn words_fill_lines_greedily_without_exceeding_the_width() {
        let lines = wrap_text("le chat est sur le tapis rouge", 10.0, chars);
        assert_eq!(lines, ["le chat", "est sur le", "tapis", "rouge"]);
        assert!(lines.iter().all(|l| chars(l) <= 10.0));
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_between_characters() {
        let lines = wrap_text("voir justificatif-de-domicile.pdf ici", 10.0, chars);
        assert_eq!(lines, ["voir", "justificat", "if-de-domi", "cile.pdf", "ici"]);
    }

    #[test]
    fn hard_breaks_are_kept_and_blank_lines_separate_paragraphs() {
        let lines = wrap_text("un deux\n\ntrois", 20.0, chars);
        assert_eq!(lines, ["un deux", "", "trois"]);
        assert_eq!(wrap_text("\n\nseul\n\n", 20.0, chars), ["seul"]);
    }

    #[test]
    fn empty_and_blank_inputs_give_no_lines_and_spaces_collapse() {
        assert!(wrap_text("", 10.0, chars).is_empty());
        assert!(wrap_text("   ", 10.0, chars).is_empty());
        assert_eq!(wrap_text("a    b", 10.0, chars), ["a b"]);
    }

    #[test]
    fn real_font_lines_fit_the_text_block() {
        let fonts = crate::fonts::fonts().unwrap();
        let text = "Au vu de l’évaluation réalisée à domicile par l’équipe médico-sociale le 3 novembre 2026, \
                    votre degré de perte d’autonomie relève du GIR 3. Le plan d’aide retient vingt-deux heures \
                    d’aide à domicile par mois, une téléassistance et un accueil de jour hebdomadaire.";
        let lines = wrap_text(text, TEXT_WIDTH, |s| fonts.regular.width(s, 10.0));
        assert!(lines.len() >= 3, "{lines:?}");
        for line in &lines {
            assert!(fonts.regular.width(line, 10.0) <= TEXT_WIDTH, "{line}");
        }
        // Nothing is lost or reordered.
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}
