//! Turning laid-out pages into PDF bytes: fonts, document information, catalogue entries for
//! accessibility, compression.

use chrono::NaiveDateTime;
use printpdf::{
    FontId, OffsetDateTime, PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity, PdfSaveOptions,
};

use crate::DocumentError;
use crate::fonts::{Fonts, Weight};

/// Fixed resource names, so pages can refer to the faces before the document exists
/// (printpdf's `add_font` would invent random ones). printpdf also uses the id as the subset tag
/// in the font name (`GCHREG+DejaVuSans`), which PDF readers only recognise as six capitals.
pub(crate) fn font_id(weight: Weight) -> FontId {
    FontId(match weight {
        Weight::Regular => "GCHREG".to_owned(),
        Weight::Bold => "GCHBLD".to_owned(),
    })
}

/// Document information shown by PDF readers (title bar, properties).
pub(crate) struct Meta<'a> {
    pub(crate) title: &'a str,
    pub(crate) author: &'a str,
    pub(crate) subject: &'a str,
    /// The date the document speaks of (deposit, decision): the file is then the same for the same
    /// input, apart from the random file identifier printpdf writes.
    pub(crate) date: NaiveDateTime,
}

pub(crate) fn save(fonts: &Fonts, pages: Vec<PdfPage>, meta: &Meta<'_>) -> Result<Vec<u8>, DocumentError> {
    let mut doc = PdfDocument::new(meta.title);
    for weight in [Weight::Regular, Weight::Bold] {
        doc.resources
            .fonts
            .map
            .insert(font_id(weight), PdfFont::new(fonts.face(weight).parsed.clone()));
    }
    let info = &mut doc.metadata.info;
    info.author = meta.author.to_owned();
    info.subject = meta.subject.to_owned();
    info.creator = "Guichet".to_owned();
    info.producer = "Guichet (printpdf)".to_owned();
    if let Ok(date) = OffsetDateTime::from_unix_timestamp(meta.date.and_utc().timestamp()) {
        info.creation_date = date;
        info.modification_date = date;
        info.metadata_date = date;
    }
    doc.pages = pages;

    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(DocumentError::Pdf(format!("page {}: {}", w.page, w.msg)));
    }

    // printpdf writes neither the language nor the title preference: both help screen readers
    // (PDF/UA asks for them), and /Lang needs PDF 1.4, hence the version bump.
    lo.version = "1.7".to_owned();
    let root = lo
        .trailer
        .get(b"Root")
        .and_then(lopdf::Object::as_reference)
        .map_err(pdf_error)?;
    let catalog = lo
        .get_object_mut(root)
        .and_then(lopdf::Object::as_dict_mut)
        .map_err(pdf_error)?;
    catalog.set("Lang", lopdf::Object::string_literal("fr-FR"));
    catalog.set(
        "ViewerPreferences",
        lopdf::Dictionary::from_iter(vec![("DisplayDocTitle", lopdf::Object::Boolean(true))]),
    );

    // printpdf fills /GTS_PDFXVersion even for plain documents, which makes readers report PDF/X
    // conformance this file does not have; empty keys only add noise.
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(lopdf::Object::as_reference)
        && let Ok(info) = lo.get_object_mut(info_id).and_then(lopdf::Object::as_dict_mut)
    {
        for key in [&b"GTS_PDFXVersion"[..], b"Identifier", b"Keywords", b"Trapped"] {
            info.remove(key);
        }
    }

    compress(&mut lo)?;
    let mut bytes = Vec::with_capacity(64 * 1024);
    lo.save_to(&mut bytes)
        .map_err(|e| DocumentError::Pdf(e.to_string()))?;
    Ok(bytes)
}

fn pdf_error(e: lopdf::Error) -> DocumentError {
    DocumentError::Pdf(e.to_string())
}

/// Deflates every uncompressed stream (fonts, page contents). lopdf's own `compress` uses
/// `Compression::best()`, which took about 20 % of a document's rendering time for a few hundred
/// bytes less; the default level is the usual trade-off.
fn compress(lo: &mut lopdf::Document) -> Result<(), DocumentError> {
    use std::io::Write;

    for object in lo.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(stream.content.len() / 2),
            flate2::Compression::default(),
        );
        encoder
            .write_all(&stream.content)
            .map_err(|e| DocumentError::Pdf(e.to_string()))?;
        let compressed = encoder.finish().map_err(|e| DocumentError::Pdf(e.to_string()))?;
        if compressed.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
    Ok(())
}
