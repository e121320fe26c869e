//! The two embedded faces (DejaVu Sans and DejaVu Sans Bold) and their metrics.
//!
//! Parsing a TTF costs far more than laying out a letter, so both faces are parsed once per process
//! and shared by every document. Widths come from the font's own `hmtx` advances: printpdf writes
//! plain glyph runs (no kerning, no shaping), so the sum of advances is exactly what gets drawn.

use std::borrow::Cow;
use std::sync::LazyLock;

use printpdf::ParsedFont;

use crate::DocumentError;

static REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// Characters below this code point get their advance from a table filled at load time, so measuring
/// French text never touches the cmap. It covers Latin-1, Latin Extended-A and the general
/// punctuation block minus its tail (dashes, quotes, narrow no-break space, ellipsis).
const TABLE_LEN: usize = 0x2100;

/// Which face a piece of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

pub(crate) struct Face {
    pub(crate) parsed: ParsedFont,
    units_per_em: f32,
    /// Advance in font units per code point below `TABLE_LEN`; `None` when the face has no glyph.
    advances: Box<[Option<u16>]>,
}

pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

static FONTS: LazyLock<Result<Fonts, String>> = LazyLock::new(|| {
    Ok(Fonts {
        regular: Face::load(REGULAR_TTF, "DejaVuSans")?,
        bold: Face::load(BOLD_TTF, "DejaVuSans-Bold")?,
    })
});

/// The shared faces, parsed on first use.
pub(crate) fn fonts() -> Result<&'static Fonts, DocumentError> {
    FONTS.as_ref().map_err(|e| DocumentError::Font(e.clone()))
}

impl Fonts {
    pub(crate) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

impl Face {
    fn load(bytes: &[u8], name: &str) -> Result<Face, String> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| format!("the embedded font {name} could not be parsed: {warnings:?}"))?;
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let advances = (0..TABLE_LEN)
            .map(|cp| {
                let cp = u32::try_from(cp).unwrap_or(0);
                parsed
                    .lookup_glyph_index(cp)
                    .filter(|gid| *gid != 0)
                    .map(|gid| parsed.get_horizontal_advance(gid))
            })
            .collect();
        Ok(Face {
            parsed,
            units_per_em,
            advances,
        })
    }

    /// Advance of `c` in font units, `None` when the face cannot draw it.
    fn advance(&self, c: char) -> Option<u16> {
        let cp = c as usize;
        if cp < TABLE_LEN {
            return self.advances.get(cp).copied().flatten();
        }
        let gid = self.parsed.lookup_glyph_index(c as u32).filter(|gid| *gid != 0)?;
        Some(self.parsed.get_horizontal_advance(gid))
    }

    /// Width of `text` set at `size` points. Characters the face lacks count as the `?` that
    /// [`Face::printable`] will put in their place.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let fallback = self.advance('?').unwrap_or(0);
        let units: u32 = text
            .chars()
            .map(|c| u32::from(self.advance(c).unwrap_or(fallback)))
            .sum();
        units as f32 * size / self.units_per_em
    }

    /// `text` with every character the face can draw kept, control characters turned into spaces,
    /// and anything else replaced by `?`. Without this a missing glyph would be written as glyph 0,
    /// which is invisible and lost to copy-paste and screen readers.
    pub(crate) fn printable<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let ok = |c: char| !c.is_control() && self.advance(c).is_some();
        if text.chars().all(ok) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        ' '
                    } else if self.advance(c).is_some() {
                        c
                    } else {
                        '?'
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_parse_and_measure_french_text() {
        let fonts = fonts().unwrap();
        let regular = fonts.regular.width("Hélène Dupré-Lefèvre", 10.0);
        let bold = fonts.bold.width("Hélène Dupré-Lefèvre", 10.0);
        assert!(regular > 50.0 && regular < 150.0, "{regular}");
        assert!(
            bold > regular,
            "bold {bold} should be wider than regular {regular}"
        );
        assert_eq!(fonts.regular.width("", 10.0), 0.0);
    }

    #[test]
    fn accents_euro_and_narrow_spaces_are_printable_but_controls_and_unknown_glyphs_are_not() {
        let face = &fonts().unwrap().regular;
        let french = "1\u{202f}682,30\u{a0}€ — « été » à l’œuvre";
        assert!(matches!(face.printable(french), Cow::Borrowed(_)));
        assert_eq!(face.printable("a\tb\u{1}c"), "a b c");
        // A private-use code point has no glyph in DejaVu.
        assert_eq!(face.printable("x\u{e000}y"), "x?y");
    }
}
