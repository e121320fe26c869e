//! The letter as plain text blocks ([`LetterText`]), and the one PDF layout every letter (decision,
//! attestation) is printed with from those blocks. The usager's page shows the same blocks as HTML,
//! so what the PDF says and what the page says cannot differ.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decision::{Recipient, Signature};
use crate::layout::{Composer, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH, Style, TEXT_WIDTH, Tag};
use crate::{DocumentError, Letterhead, fonts, french, pdf};

/// A letter's content as plain text, block by block, in reading order. Built by
/// [`crate::decision_text`] or [`crate::attestation_text`]; the PDF is printed from it, and the web
/// page renders it as accessible HTML (PDFs are not read well by every screen reader).
///
/// Every string is one paragraph or one line, without markup; HTML-escape them when rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterText {
    /// The issuing authority: name, service, postal address, contact lines.
    pub heading: Vec<String>,
    /// The recipient as on the envelope: name, quality (`en qualité de tuteur de …`), address.
    pub addressee: Vec<String>,
    /// `Bobigny, le 1er décembre 2026`, or `Le 1er décembre 2026` when no place is set.
    pub place_date: String,
    /// `Objet : …`, the letter's main heading.
    pub object: String,
    /// `Madame,`, `Monsieur,` or `Madame, Monsieur,`.
    pub salutation: String,
    /// Paragraphs before the sections.
    pub intro: Vec<String>,
    /// One section each (a right decided, the facts of an attestation), in order.
    pub sections: Vec<LetterSection>,
    /// The appeal routes, printed under [`LetterText::APPEALS_TITLE`]; empty for an attestation.
    pub appeals: Vec<LetterSection>,
    /// The closing formula.
    pub closing: Vec<String>,
    /// Who signs: on whose behalf, title, name.
    pub signature: Vec<String>,
    /// `Copie : Mme Jeanne Martin, 3 rue …, 93100 Montreuil` when the letter goes to a representative.
    pub copy: Option<String>,
}

/// The département's own words in a service's letters (its settings, edited on `/admin`): paragraphs, separated
/// by blank lines, before the decisions (`opening`) and after them, before the closing formula (`ending`), such
/// as the service's opening hours. The legal content (decisions, motivation, appeal routes) is not among them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterTexts {
    #[serde(default)]
    pub opening: Option<String>,
    #[serde(default)]
    pub ending: Option<String>,
}

impl LetterTexts {
    pub(crate) fn opening(&self) -> Vec<String> {
        self.opening.as_deref().map(paragraphs).unwrap_or_default()
    }

    /// The ending paragraphs, then the closing formula.
    pub(crate) fn closing(&self, recipient: &Recipient) -> Vec<String> {
        let mut out = self.ending.as_deref().map(paragraphs).unwrap_or_default();
        out.push(closing(recipient));
        out
    }
}

impl LetterText {
    /// The heading printed above [`LetterText::appeals`] (a second-level heading, like the sections'
    /// titles); HTML renderings should print it too.
    pub const APPEALS_TITLE: &'static str = "Voies et délais de recours";
}

/// A titled part of a letter: the title is a heading, each line a paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterSection {
    /// `Allocation aux adultes handicapés (AAH)`.
    pub title: String,
    /// Paragraphs, in order; the first ones are the key facts (decision, amount, period).
    pub lines: Vec<String>,
}

/// How to print a [`LetterText`]: styles and document information only, never text of the letter.
pub(crate) struct Layout {
    /// Lines of `heading` after the name that are set in bold (the service).
    pub(crate) heading_strong: usize,
    /// Per section, how many leading lines are key facts, shown in a grey panel.
    pub(crate) facts: Vec<usize>,
    /// Whether the last signature line is the signatory's name (set in bold).
    pub(crate) signature_name: bool,
    /// Whether the first signature line is an « on behalf » mention (set small).
    pub(crate) signature_on_behalf: bool,
    /// Page footer before « Page n sur N ».
    pub(crate) footer: String,
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) subject: String,
    pub(crate) date: NaiveDate,
}

/// Address block for window envelopes. NF Z 10-011 sets the DL (110 × 220 mm) envelope and its
/// 45 × 100 mm window; La Poste's guidance puts the window 20 mm from the right edge and 15 mm from
/// the bottom. On an A4 sheet folded in three, that window shows about 45 to 90 mm from the top and
/// 95 to 195 mm from the left of the sheet, so the block starts 48 mm from the top and 100 mm from
/// the left edge, and stays within the right margin (90 mm wide, La Poste's 38 characters a line fit).
const ADDRESS_TOP: f32 = 48.0 * MM;
const ADDRESS_X: f32 = 100.0 * MM;
const ADDRESS_WIDTH: f32 = PAGE_WIDTH - MARGIN_X - ADDRESS_X;
/// Top of the first page's text, as on every page (the composer's top margin).
const MARGIN_TOP_FIRST: f32 = 20.0 * MM;
/// The body starts below the window's lower edge (90 mm) and some play in the fold.
const BODY_TOP: f32 = 94.0 * MM;
/// The letterhead stays left of the window (it may run down beside it).
const LETTERHEAD_WIDTH: f32 = ADDRESS_X - MARGIN_X - 8.0 * MM;
const MM: f32 = 72.0 / 25.4;

/// `Madame` or `Monsieur` from a civility as entered (`Mme`, `monsieur`, `M.`); `None` otherwise.
pub(crate) fn civility(civility: Option<&str>) -> Option<&'static str> {
    let folded = civility?.trim().trim_end_matches(['.', ',']).to_lowercase();
    match folded.as_str() {
        "madame" | "mme" => Some("Madame"),
        "monsieur" | "m" => Some("Monsieur"),
        _ => None,
    }
}

/// How the recipient is addressed in the salutation and the closing formula.
pub(crate) fn address_form(recipient: &Recipient) -> &'static str {
    civility(recipient.civility.as_deref()).unwrap_or("Madame, Monsieur")
}

pub(crate) fn salutation(recipient: &Recipient) -> String {
    format!("{},", address_form(recipient))
}

pub(crate) fn closing(recipient: &Recipient) -> String {
    format!(
        "Je vous prie d’agréer, {}, l’expression de mes salutations distinguées.",
        address_form(recipient)
    )
}

/// `Bobigny, le 1er décembre 2026`; `Le 1er décembre 2026` when the place is not configured, so a
/// letter never starts a line with a comma.
pub(crate) fn place_date(place: &str, date: NaiveDate) -> String {
    let place = place.trim().trim_end_matches([',', ' ']);
    if place.is_empty() {
        format!("Le {}", french::date(date))
    } else {
        format!("{place}, le {}", french::date(date))
    }
}

fn non_empty(lines: &[String]) -> impl Iterator<Item = String> + '_ {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
}

pub(crate) fn heading(letterhead: &Letterhead) -> Vec<String> {
    let mut lines = vec![letterhead.name.trim().to_owned()];
    lines.extend(
        letterhead
            .service
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    lines.extend(non_empty(&letterhead.address_lines));
    lines.extend(non_empty(&letterhead.contact_lines));
    lines
}

/// Lines of the heading after the name that are the service (printed in bold).
pub(crate) fn heading_strong(letterhead: &Letterhead) -> usize {
    usize::from(
        letterhead
            .service
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty()),
    )
}

pub(crate) fn addressee(recipient: &Recipient) -> Vec<String> {
    let mut lines = vec![recipient.name.trim().to_owned()];
    lines.extend(
        recipient
            .quality
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    lines.extend(non_empty(&recipient.address_lines));
    lines
}

/// `Copie : Mme Jeanne Martin, 3 rue des Écoles, 93100 Montreuil`.
pub(crate) fn copy_line(copy_to: &Recipient) -> String {
    let mut parts = vec![copy_to.name.trim().to_owned()];
    parts.extend(non_empty(&copy_to.address_lines));
    format!("Copie : {}", parts.join(", "))
}

pub(crate) fn signature(signature: &Signature) -> (Vec<String>, bool, bool) {
    let on_behalf = signature
        .on_behalf
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let name = signature.name.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut lines: Vec<String> = on_behalf.map(str::to_owned).into_iter().collect();
    lines.push(signature.title.trim().to_owned());
    lines.extend(name.map(str::to_owned));
    (lines, name.is_some(), on_behalf.is_some())
}

/// `«\u{a0}text\u{a0}»`: French quotes held to their text by no-break spaces, so a line never
/// starts with a closing quote or ends with an opening one.
pub(crate) fn quoted(text: &str) -> String {
    format!("«\u{a0}{text}\u{a0}»")
}

/// Paragraphs of a free text: separated by blank lines; single line breaks are kept inside one.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line.trim_end());
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

/// `text` with `prefix` unless it already starts with `already` (case-insensitive), e.g. a legal
/// basis given as `CSS L821-1` or as `Références : CSS L821-1`.
pub(crate) fn prefixed(prefix: &str, already: &str, text: &str) -> String {
    let text = text.trim();
    if text.to_lowercase().starts_with(&already.to_lowercase()) {
        text.to_owned()
    } else {
        format!("{prefix}{text}")
    }
}

/// Prints `text` as a tagged PDF letter: letterhead top left, the address in the envelope window,
/// then the place and date, the object (the main heading), the body, the appeal routes, the
/// signature and the copy line. Long letters flow over pages; each page's footer names the
/// document and its number.
pub(crate) fn render(text: &LetterText, layout: &Layout) -> Result<Vec<u8>, DocumentError> {
    let fonts = fonts::fonts()?;
    let mut c = Composer::tagged(fonts, layout.footer.clone());

    // Letterhead (left) and address (in the window) are two columns of the first page.
    for (i, line) in text.heading.iter().enumerate() {
        let style = match i {
            0 => Style::HEADING,
            i if i <= layout.heading_strong => Style::STRONG,
            _ => Style::SMALL,
        };
        c.begin(Tag::P);
        let wrapped = c.wrap(line, style, LETTERHEAD_WIDTH);
        c.lines(&wrapped, style, MARGIN_X);
        c.end();
    }
    let below_letterhead = c.y();
    c.jump_to(ADDRESS_TOP);
    for (i, line) in text.addressee.iter().enumerate() {
        let style = if i == 0 { Style::STRONG } else { Style::BODY };
        c.begin(Tag::P);
        let wrapped = c.wrap(line, style, ADDRESS_WIDTH);
        c.lines(&wrapped, style, ADDRESS_X);
        c.end();
    }
    let below_address = c.y();
    // The place and date go top right, above the window: below the address they would show
    // through it. Printed after the address all the same, to keep the reading order.
    c.jump_to(MARGIN_TOP_FIRST);
    c.begin(Tag::P);
    c.right_aligned(&text.place_date, Style::BODY);
    c.end();
    // The body starts under the window, whatever the height of the address.
    c.set_y(below_letterhead.min(below_address).min(PAGE_HEIGHT - BODY_TOP));

    c.block(Tag::H1, &text.object, Style::STRONG, 0.0);
    c.gap(12.0);
    c.block(Tag::P, &text.salutation, Style::BODY, 0.0);
    c.gap(6.0);
    for paragraph in &text.intro {
        c.block(Tag::P, paragraph, Style::BODY, 0.0);
        c.gap(6.0);
    }

    for (i, section) in text.sections.iter().enumerate() {
        c.gap(6.0);
        let facts = layout.facts.get(i).copied().unwrap_or(0).min(section.lines.len());
        let (panel_lines, rest) = section.lines.split_at(facts);
        let width = Composer::PANEL_TEXT_WIDTH;
        let rows: Vec<(Vec<String>, Style)> = panel_lines
            .iter()
            .enumerate()
            .map(|(j, line)| {
                let style = if j == 0 { Style::STRONG } else { Style::BODY };
                (c.wrap(line, style, width), style)
            })
            .collect();
        let title = c.wrap(&section.title, Style::HEADING, TEXT_WIDTH);
        // A title must not end a page: keep it with its panel (or the start of its text).
        let after = if rows.is_empty() {
            2.0 * Style::BODY.leading
        } else {
            Composer::panel_height(&rows)
        };
        c.keep(Style::HEADING.leading * title.len() as f32 + 2.0 + after);
        c.begin(Tag::H2);
        c.lines(&title, Style::HEADING, MARGIN_X);
        c.end();
        c.gap(2.0);
        if !rows.is_empty() {
            c.panel(&rows);
            c.gap(6.0);
        }
        for line in rest {
            c.block(Tag::P, line, Style::BODY, 0.0);
            c.gap(4.0);
        }
    }

    if !text.appeals.is_empty() {
        c.gap(10.0);
        c.keep(Style::HEADING.leading + Style::SUBHEADING.leading + 2.0 * Style::BODY.leading);
        c.block(Tag::H2, LetterText::APPEALS_TITLE, Style::HEADING, 0.0);
        for route in &text.appeals {
            c.gap(4.0);
            c.keep(Style::SUBHEADING.leading + 2.0 * Style::BODY.leading);
            c.block(Tag::H3, &route.title, Style::SUBHEADING, 0.0);
            for line in &route.lines {
                c.block(Tag::P, line, Style::BODY, 0.0);
                c.gap(3.0);
            }
        }
    }
    c.gap(10.0);

    // The closing formula and the signature are one block: never a signature alone on a page.
    let sig_x = MARGIN_X + TEXT_WIDTH * 0.45;
    let sig_width = TEXT_WIDTH * 0.55;
    let closing: Vec<Vec<String>> = text
        .closing
        .iter()
        .map(|p| c.wrap(p, Style::BODY, TEXT_WIDTH))
        .collect();
    let last = text.signature.len().saturating_sub(1);
    let signature: Vec<(Vec<String>, Style)> = text
        .signature
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let style = if i == 0 && layout.signature_on_behalf {
                Style::SMALL
            } else if i == last && layout.signature_name {
                Style::STRONG
            } else {
                Style::BODY
            };
            (c.wrap(line, style, sig_width), style)
        })
        .collect();
    let block_height = Style::BODY.leading * closing.iter().map(Vec::len).sum::<usize>() as f32
        + signature
            .iter()
            .map(|(lines, style)| style.leading * lines.len() as f32)
            .sum::<f32>()
        + 14.0;
    c.keep(block_height);
    for paragraph in &closing {
        c.begin(Tag::P);
        c.lines(paragraph, Style::BODY, MARGIN_X);
        c.end();
    }
    c.gap(14.0);
    for (lines, style) in &signature {
        c.begin(Tag::P);
        c.lines(lines, *style, sig_x);
        c.end();
    }
    if let Some(copy) = &text.copy {
        c.gap(18.0);
        c.block(Tag::P, copy, Style::SMALL, 0.0);
    }

    let (pages, elements) = c.finish();
    pdf::save(
        fonts,
        pages,
        Some(&elements),
        &pdf::Meta {
            title: &layout.title,
            author: &layout.author,
            subject: &layout.subject,
            date: layout.date.and_time(chrono::NaiveTime::MIN),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_place_line_never_starts_with_a_comma() {
        assert_eq!(
            place_date("Bobigny", date(2026, 12, 1)),
            "Bobigny, le 1er décembre 2026"
        );
        assert_eq!(place_date("", date(2026, 12, 1)), "Le 1er décembre 2026");
        assert_eq!(place_date("  , ", date(2026, 12, 1)), "Le 1er décembre 2026");
        assert_eq!(
            place_date("Bobigny,", date(2026, 12, 2)),
            "Bobigny, le 2 décembre 2026"
        );
    }

    #[test]
    fn civility_is_read_loosely_and_anything_else_falls_back_to_both() {
        assert_eq!(civility(Some("Madame")), Some("Madame"));
        assert_eq!(civility(Some(" mme. ")), Some("Madame"));
        assert_eq!(civility(Some("M.")), Some("Monsieur"));
        assert_eq!(civility(Some("MONSIEUR")), Some("Monsieur"));
        assert_eq!(civility(Some("Mx")), None);
        assert_eq!(civility(None), None);
        let mut recipient = Recipient {
            name: "Mme Jeanne Martin".into(),
            address_lines: vec![],
            civility: Some("Madame".into()),
            quality: None,
        };
        assert_eq!(salutation(&recipient), "Madame,");
        assert!(closing(&recipient).contains("agréer, Madame, l’expression"));
        recipient.civility = None;
        assert_eq!(salutation(&recipient), "Madame, Monsieur,");
    }

    #[test]
    fn free_text_splits_on_blank_lines_and_keeps_single_breaks() {
        assert_eq!(paragraphs("un\ndeux\n\n\n trois \n"), ["un\ndeux", " trois"]);
        assert!(paragraphs(" \n\n").is_empty());
    }

    #[test]
    fn prefixes_are_not_doubled() {
        assert_eq!(
            prefixed("Références : ", "référence", "CSS L821-1"),
            "Références : CSS L821-1"
        );
        assert_eq!(
            prefixed("Références : ", "référence", "Références : CSS L821-1"),
            "Références : CSS L821-1"
        );
    }
}
