//! Turning laid-out pages into PDF bytes: fonts, document information, catalogue entries for
//! accessibility, the structure tree of tagged documents, compression.

use chrono::NaiveDateTime;
use printpdf::{
    FontId, OffsetDateTime, PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity, PdfSaveOptions,
};

use lopdf::{Dictionary, Object, ObjectId};

use crate::DocumentError;
use crate::fonts::{Fonts, Weight};
use crate::layout::Element;

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

/// Writes the document. With `structure` (from a tagged composer) the file is a tagged PDF: the
/// structure tree, `/MarkInfo`, `/StructParents` and tab order on each page, and XMP metadata
/// with the title and language, which PDF/UA asks for besides the document information.
pub(crate) fn save(
    fonts: &Fonts,
    pages: Vec<PdfPage>,
    structure: Option<&[Element]>,
    meta: &Meta<'_>,
) -> Result<Vec<u8>, DocumentError> {
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

    if let Some(elements) = structure {
        write_structure(&mut lo, root, elements)?;
        write_xmp(&mut lo, root, meta)?;
    }

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

/// The structure tree (ISO 32000-1, 14.7 and 14.8): a `Document` element holding the headings and
/// paragraphs in reading order, each pointing at its marked-content sequences by page and MCID,
/// and the parent tree that maps every MCID back to its element.
fn write_structure(
    lo: &mut lopdf::Document,
    root: ObjectId,
    elements: &[Element],
) -> Result<(), DocumentError> {
    let pages: Vec<ObjectId> = lo.get_pages().into_values().collect();
    let page_ref = |index: usize| {
        pages
            .get(index)
            .copied()
            .ok_or_else(|| DocumentError::Pdf(format!("structure element on missing page {index}")))
    };
    let tree_id = lo.new_object_id();
    let document_id = lo.new_object_id();
    // Per page: the element owning each MCID, by MCID.
    let mut parents: Vec<Vec<Object>> = vec![Vec::new(); pages.len()];
    let mut children = Vec::new();
    for element in elements.iter().filter(|e| !e.kids.is_empty()) {
        let id = lo.new_object_id();
        let mut kids = Vec::with_capacity(element.kids.len());
        for &(page, mcid) in &element.kids {
            kids.push(Object::Dictionary(Dictionary::from_iter(vec![
                ("Type", Object::Name(b"MCR".to_vec())),
                ("Pg", Object::Reference(page_ref(page)?)),
                ("MCID", Object::Integer(mcid)),
            ])));
            let slot = usize::try_from(mcid).map_err(|e| DocumentError::Pdf(e.to_string()))?;
            let owners = parents
                .get_mut(page)
                .ok_or_else(|| DocumentError::Pdf(format!("marked content on missing page {page}")))?;
            if owners.len() <= slot {
                owners.resize(slot + 1, Object::Null);
            }
            owners[slot] = Object::Reference(id);
        }
        let first_page = page_ref(element.kids[0].0)?;
        lo.objects.insert(
            id,
            Object::Dictionary(Dictionary::from_iter(vec![
                ("Type", Object::Name(b"StructElem".to_vec())),
                ("S", Object::Name(element.tag.name().as_bytes().to_vec())),
                ("P", Object::Reference(document_id)),
                ("Pg", Object::Reference(first_page)),
                ("K", Object::Array(kids)),
            ])),
        );
        children.push(Object::Reference(id));
    }
    lo.objects.insert(
        document_id,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"StructElem".to_vec())),
            ("S", Object::Name(b"Document".to_vec())),
            ("P", Object::Reference(tree_id)),
            ("K", Object::Array(children)),
        ])),
    );

    let mut nums = Vec::with_capacity(2 * pages.len());
    for (index, (page_id, owners)) in pages.iter().zip(parents).enumerate() {
        let key = i64::try_from(index).map_err(|e| DocumentError::Pdf(e.to_string()))?;
        let owners_id = lo.add_object(Object::Array(owners));
        nums.push(Object::Integer(key));
        nums.push(Object::Reference(owners_id));
        let page = lo
            .get_object_mut(*page_id)
            .and_then(Object::as_dict_mut)
            .map_err(pdf_error)?;
        page.set("StructParents", Object::Integer(key));
        // Tab order follows the structure (PDF/UA 7.18.3).
        page.set("Tabs", Object::Name(b"S".to_vec()));
    }
    let next_key = i64::try_from(pages.len()).map_err(|e| DocumentError::Pdf(e.to_string()))?;
    lo.objects.insert(
        tree_id,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"StructTreeRoot".to_vec())),
            ("K", Object::Reference(document_id)),
            (
                "ParentTree",
                Object::Dictionary(Dictionary::from_iter(vec![("Nums", Object::Array(nums))])),
            ),
            ("ParentTreeNextKey", Object::Integer(next_key)),
        ])),
    );
    let catalog = lo
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(pdf_error)?;
    catalog.set("StructTreeRoot", Object::Reference(tree_id));
    catalog.set(
        "MarkInfo",
        Dictionary::from_iter(vec![("Marked", Object::Boolean(true))]),
    );
    Ok(())
}

/// XMP metadata with the title, author, subject and language (PDF/UA 7.1 wants `dc:title` there).
/// Left uncompressed, as XMP readers that scan files for packets expect.
fn write_xmp(lo: &mut lopdf::Document, root: ObjectId, meta: &Meta<'_>) -> Result<(), DocumentError> {
    let xmp = format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n\
         <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
         <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n\
         <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n\
         <dc:language><rdf:Bag><rdf:li>fr-FR</rdf:li></rdf:Bag></dc:language>\n\
         <pdf:Producer>Guichet (printpdf)</pdf:Producer>\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>",
        title = xml_escape(meta.title),
        author = xml_escape(meta.author),
        subject = xml_escape(meta.subject),
    );
    let mut stream = lopdf::Stream::new(
        Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Metadata".to_vec())),
            ("Subtype", Object::Name(b"XML".to_vec())),
        ]),
        xmp.into_bytes(),
    );
    stream.allows_compression = false;
    let id = lo.add_object(Object::Stream(stream));
    let catalog = lo
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(pdf_error)?;
    catalog.set("Metadata", Object::Reference(id));
    Ok(())
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
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
