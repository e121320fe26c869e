//! Exports of the back office: one row per dossier of the agent's current queue view, as CSV, XLSX or ODS.
//!
//! The columns are the queue's (number, procedure, beneficiary, filer, state, dates, assignee, rights and
//! their decisions) and, for a view of one procedure, every answer of its definition: one column per
//! field, repeating groups as numbered columns. An agent may keep only some columns: the choice is saved
//! per procedure as an export template (`templates`). Headers are French, dates are date cells, amounts
//! numbers in euros; a text is always a text (never a formula, whatever it starts with).
//!
//! Memory stays flat whatever the count: dossiers are read [`BATCH`] at a time (their filers, assignees,
//! rights and answers in one query per batch), and each format writes rows as they come: CSV streams to
//! the client, XLSX uses `rust_xlsxwriter`'s constant-memory mode, ODS streams its `content.xml` into a
//! ZIP on a temporary file.
//!
//! Health data (fields flagged `sensitive`) and documents are not exported: a file leaves the platform's
//! traced reads.

use std::collections::HashMap;
use std::io::Write;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use guichet_db::AnyConnection;
use guichet_dossiers::access::{self, Viewer};
use guichet_dossiers::instruction::{self, QueueFilter, QueueItem};
use guichet_forms::{Field, FieldType, FormDefinition};
use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, Workbook};
use serde_json::Value;

use crate::error::CaseError;

/// Dossiers read per round trip.
pub const BATCH: i64 = 500;

/// The most items of a repeating group given columns when its definition sets no maximum.
const GROUP_COLUMNS: u32 = 5;

/// The file formats offered, by their extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Ods,
}

impl Format {
    pub fn parse(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }
}

/// A value as a spreadsheet cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// Euros.
    Money(f64),
    Date(NaiveDate),
}

/// The queue's columns, always offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixed {
    Number,
    Procedure,
    Beneficiary,
    Filer,
    State,
    Deposited,
    Due,
    Assignee,
    Rights,
}

const FIXED: [(Fixed, &str, &str); 9] = [
    (Fixed::Number, "numero", "Numéro"),
    (Fixed::Procedure, "demarche", "Démarche"),
    (Fixed::Beneficiary, "beneficiaire", "Bénéficiaire"),
    (Fixed::Filer, "depose_par", "Déposé par"),
    (Fixed::State, "etat", "État"),
    (Fixed::Deposited, "depose_le", "Déposé le"),
    (Fixed::Due, "echeance", "Échéance"),
    (Fixed::Assignee, "affecte_a", "Affecté à"),
    (Fixed::Rights, "droits", "Droits demandés et décisions"),
];

#[derive(Debug, Clone)]
enum Source {
    Fixed(Fixed),
    Answer {
        field: Box<Field>,
        /// (group field id, item index) for a sub-field of a repeating group.
        group: Option<(String, usize)>,
    },
}

/// One column of an export: a stable key (for templates), its French header, where its value comes from.
#[derive(Debug, Clone)]
pub struct Column {
    pub key: String,
    pub header: String,
    source: Source,
}

impl Column {
    pub fn is_answer(&self) -> bool {
        matches!(self.source, Source::Answer { .. })
    }
}

fn exported(f: &Field) -> bool {
    !f.sensitive && !matches!(f.kind, FieldType::Static | FieldType::File)
}

/// Every column an export of this view may have: the queue's, then (for one procedure) its answers in the
/// order of its steps. A label used twice gets its step's title in front, so that every header says
/// which question it is.
pub fn columns(def: Option<&FormDefinition>) -> Vec<Column> {
    let mut out: Vec<Column> = FIXED
        .iter()
        .map(|(f, key, header)| Column {
            key: (*key).to_owned(),
            header: (*header).to_owned(),
            source: Source::Fixed(*f),
        })
        .collect();
    let Some(def) = def else {
        return out;
    };
    let mut labels: HashMap<&str, usize> = HashMap::new();
    for step in def.steps() {
        for f in step.fields.iter().filter(|f| exported(f)) {
            *labels.entry(f.label.as_str()).or_default() += 1;
        }
    }
    for step in def.steps() {
        for f in step.fields.iter().filter(|f| exported(f)) {
            let label = if labels.get(f.label.as_str()).copied().unwrap_or(0) > 1 {
                format!("{} : {}", step.title, f.label)
            } else {
                f.label.clone()
            };
            if f.kind == FieldType::Group {
                let item = f.item_label.clone().unwrap_or_else(|| f.label.clone());
                for i in 0..f.max_items.unwrap_or(GROUP_COLUMNS).min(20) as usize {
                    for sub in f.fields.iter().filter(|s| exported(s)) {
                        out.push(Column {
                            key: format!("{}.{}.{}", f.id, i + 1, sub.id),
                            header: format!("{item} {} : {}", i + 1, sub.label),
                            source: Source::Answer {
                                field: Box::new(sub.clone()),
                                group: Some((f.id.clone(), i)),
                            },
                        });
                    }
                }
            } else {
                out.push(Column {
                    key: f.id.clone(),
                    header: label,
                    source: Source::Answer {
                        field: Box::new(f.clone()),
                        group: None,
                    },
                });
            }
        }
    }
    out
}

/// The columns whose keys are chosen, in the export's order; every column when none is (or when none of
/// the keys is still one: a template outlives a field removed from a later version).
pub fn chosen(all: Vec<Column>, keys: &[String]) -> Vec<Column> {
    let picked: Vec<Column> = all.iter().filter(|c| keys.contains(&c.key)).cloned().collect();
    if picked.is_empty() { all } else { picked }
}

fn answer_cell(field: &Field, group: Option<&(String, usize)>, answers: &Value) -> Cell {
    let value = match group {
        None => answers.get(&field.id),
        Some((group, i)) => answers
            .get(group)
            .and_then(|g| g.get(*i))
            .and_then(|item| item.get(&field.id)),
    };
    let Some(v) = value.filter(|v| !v.is_null()) else {
        return Cell::Empty;
    };
    match (field.kind, v) {
        (FieldType::Money, Value::Number(n)) => {
            n.as_i64().map_or(Cell::Empty, |c| Cell::Money(c as f64 / 100.0))
        }
        (FieldType::Integer | FieldType::Decimal | FieldType::Computed, Value::Number(n)) => {
            n.as_f64().map_or(Cell::Empty, Cell::Number)
        }
        (FieldType::Date, Value::String(s)) => {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or_else(|_| Cell::Text(s.clone()), Cell::Date)
        }
        _ => text(&guichet_forms::display_value(field, v)),
    }
}

/// One dossier as the export's queue columns show it.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub number: String,
    pub procedure: String,
    pub beneficiary: String,
    /// Empty when the beneficiary filed themselves.
    pub filer: String,
    pub state: String,
    pub deposited: Option<NaiveDateTime>,
    pub due: Option<NaiveDateTime>,
    pub assignee: String,
    /// « Label : décision » per right.
    pub rights: String,
    pub answers: Value,
}

impl Row {
    fn cell(&self, c: &Column) -> Cell {
        match &c.source {
            Source::Fixed(f) => match f {
                Fixed::Number => text(&self.number),
                Fixed::Procedure => text(&self.procedure),
                Fixed::Beneficiary => text(&self.beneficiary),
                Fixed::Filer => text(&self.filer),
                Fixed::State => text(&self.state),
                Fixed::Deposited => self.deposited.map_or(Cell::Empty, |d| Cell::Date(d.date())),
                Fixed::Due => self.due.map_or(Cell::Empty, |d| Cell::Date(d.date())),
                Fixed::Assignee => text(&self.assignee),
                Fixed::Rights => text(&self.rights),
            },
            Source::Answer { field, group } => answer_cell(field, group.as_ref(), &self.answers),
        }
    }
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_owned())
    }
}

fn internal(e: impl std::fmt::Display) -> CaseError {
    CaseError::Internal(format!("export: {e}"))
}

/// Where the rows go. `row` returns `false` when the reader went away (nothing more to write).
pub trait Sink {
    fn header(&mut self, headers: &[&str]) -> Result<(), CaseError>;
    fn row(&mut self, cells: &[Cell]) -> Result<bool, CaseError>;
}

/// What to export: the view (its filter, as the queue built it), who asks, which columns.
pub struct Export<'a> {
    pub filter: QueueFilter,
    pub viewer: &'a Viewer,
    pub columns: &'a [Column],
    /// Procedure id → title.
    pub titles: &'a HashMap<String, String>,
    pub now: NaiveDateTime,
}

/// Every dossier of a queue view from its first row, whatever page the agent was on, [`BATCH`] at a time,
/// as the queue shows them to this viewer: the dossiers they filed and their relatives' are left out.
/// `each` returns `false` to stop.
pub fn each_in_view(
    conn: &mut AnyConnection,
    filter: &QueueFilter,
    viewer: &Viewer,
    mut each: impl FnMut(&mut AnyConnection, Vec<QueueItem>) -> Result<bool, CaseError>,
) -> Result<(), CaseError> {
    let mut page = filter.clone();
    if instruction::has_filed(conn, &viewer.user_id, page.services.as_deref())? {
        page.exclude_owner = Some(viewer.user_id.clone());
    }
    page.after = None;
    page.offset = 0;
    // Few queries of many rows (a page deep in a tab costs its index walk to find where to start), each
    // handed over in batches (whose details are read in one query each); a few megabytes at most.
    page.limit = VIEW_PAGE;
    loop {
        let items = instruction::queue(conn, &page)?;
        let full = items.len() as i64 == page.limit;
        page.after = items.last().map(QueueItem::cursor);
        page.offset += page.limit;
        let mut items: Vec<QueueItem> = items
            .into_iter()
            .filter(|d| !viewer.conflicts_with(&d.applicant_name))
            .collect();
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(BATCH as usize));
            if !each(conn, std::mem::replace(&mut items, rest))? {
                return Ok(());
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// Rows per query of [`each_in_view`].
const VIEW_PAGE: i64 = 5_000;

/// Writes every dossier of the view to `sink` ([`each_in_view`]); returns how many.
pub fn write(conn: &mut AnyConnection, e: &Export<'_>, sink: &mut dyn Sink) -> Result<u64, CaseError> {
    let headers: Vec<&str> = e.columns.iter().map(|c| c.header.as_str()).collect();
    sink.header(&headers)?;
    let with_answers = e.columns.iter().any(Column::is_answer);
    let mut written = 0u64;
    each_in_view(conn, &e.filter, e.viewer, |conn, items| {
        let details = instruction::row_details(conn, &items)?;
        let mut answers = if with_answers {
            let ids: Vec<String> = items.iter().map(|d| d.id.clone()).collect();
            instruction::answers_of(conn, &ids)?
        } else {
            HashMap::new()
        };
        for d in items {
            let row = Row {
                number: d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
                procedure: e
                    .titles
                    .get(&d.procedure)
                    .cloned()
                    .unwrap_or_else(|| d.procedure.clone()),
                filer: details
                    .filers
                    .get(&d.id)
                    .filter(|f| access::person_key(f) != access::person_key(&d.applicant_name))
                    .cloned()
                    .unwrap_or_default(),
                state: if d.withdrawn {
                    "Demande retirée par le demandeur".to_owned()
                } else {
                    d.state.label().to_owned()
                },
                deposited: d.deposited_at,
                due: crate::deadlines::moved_due(d.due_at, d.clock_paused_at, e.now)
                    .filter(|_| !d.state.is_decided()),
                assignee: d
                    .assigned_to
                    .as_ref()
                    .and_then(|a| details.agents.get(a).cloned())
                    .unwrap_or_else(|| "personne".to_owned()),
                rights: details
                    .decisions
                    .get(&d.id)
                    .map(|v| v.join(" ; "))
                    .unwrap_or_default(),
                answers: answers.remove(&d.id).unwrap_or(Value::Null),
                beneficiary: d.applicant_name,
            };
            let cells: Vec<Cell> = e.columns.iter().map(|c| row.cell(c)).collect();
            if !sink.row(&cells)? {
                return Ok(false);
            }
            written += 1;
        }
        Ok(true)
    })?;
    Ok(written)
}

// ------------------------------------------------------------------------------------------------ CSV

/// A text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection).
fn defused(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// A French number: decimal comma, no grouping (spreadsheets in French read it as a number).
fn french_number(n: f64, decimals: usize) -> String {
    format!("{n:.decimals$}").replace('.', ",")
}

/// Bytes handed to `emit` in chunks of about 32 KiB; `emit` returns `false` when nobody reads any more.
struct Chunks<F: FnMut(Vec<u8>) -> bool> {
    buf: Vec<u8>,
    emit: F,
}

const CHUNK: usize = 32 * 1024;

impl<F: FnMut(Vec<u8>) -> bool> Write for Chunks<F> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() && !(self.emit)(std::mem::take(&mut self.buf)) {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "reader gone"));
        }
        Ok(())
    }
}

/// CSV as French spreadsheets read it: `;` between cells, a byte-order mark, dates `jj/mm/aaaa`, decimal
/// commas. Written with the `csv` crate (quoting), streamed in chunks.
pub struct CsvSink<F: FnMut(Vec<u8>) -> bool> {
    w: csv::Writer<Chunks<F>>,
}

impl<F: FnMut(Vec<u8>) -> bool> CsvSink<F> {
    pub fn new(emit: F) -> CsvSink<F> {
        let mut chunks = Chunks {
            buf: Vec::with_capacity(CHUNK + 1024),
            emit,
        };
        chunks.buf.extend_from_slice("\u{feff}".as_bytes());
        CsvSink {
            w: csv::WriterBuilder::new().delimiter(b';').from_writer(chunks),
        }
    }

    /// Sends what is left; `false` when the reader went away.
    pub fn finish(mut self) -> bool {
        self.w.flush().is_ok()
    }
}

impl<F: FnMut(Vec<u8>) -> bool> Sink for CsvSink<F> {
    fn header(&mut self, headers: &[&str]) -> Result<(), CaseError> {
        self.w.write_record(headers).map_err(internal)
    }

    fn row(&mut self, cells: &[Cell]) -> Result<bool, CaseError> {
        let record = cells.iter().map(|c| match c {
            Cell::Empty => String::new(),
            Cell::Text(s) => defused(s).into_owned(),
            Cell::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
            Cell::Number(n) => french_number(*n, 2),
            Cell::Money(n) => french_number(*n, 2),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
        });
        match self.w.write_record(record) {
            Ok(()) => Ok(true),
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
                _ => Err(internal(e)),
            },
        }
    }
}

// ----------------------------------------------------------------------------------------------- XLSX

/// An XLSX workbook (`rust_xlsxwriter`, constant-memory mode: rows go to a temporary file as they come).
pub struct XlsxSink {
    workbook: Workbook,
    date: XlsxFormat,
    money: XlsxFormat,
    next_row: u32,
}

impl XlsxSink {
    pub fn new() -> Result<XlsxSink, CaseError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(internal)?;
        sheet.set_name("Dossiers").map_err(internal)?;
        Ok(XlsxSink {
            workbook,
            date: XlsxFormat::new().set_num_format("dd/mm/yyyy"),
            money: XlsxFormat::new().set_num_format("# ##0,00 €"),
            next_row: 0,
        })
    }

    pub fn finish(mut self) -> Result<Vec<u8>, CaseError> {
        self.workbook.save_to_buffer().map_err(internal)
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

impl Sink for XlsxSink {
    fn header(&mut self, headers: &[&str]) -> Result<(), CaseError> {
        let bold = XlsxFormat::new().set_bold();
        let sheet = self.workbook.worksheet_from_index(0).map_err(internal)?;
        for (c, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col(c), *h, &bold)
                .map_err(internal)?;
        }
        sheet.set_freeze_panes(1, 1).map_err(internal)?;
        self.next_row = 1;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<bool, CaseError> {
        let r = self.next_row;
        let sheet = self.workbook.worksheet_from_index(0).map_err(internal)?;
        for (c, cell) in cells.iter().enumerate() {
            let c = col(c);
            let written = match cell {
                Cell::Empty => continue,
                // A string cell: a text starting with « = » stays text, never a formula.
                Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
                Cell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                Cell::Money(n) => sheet.write_number_with_format(r, c, *n, &self.money).map(|_| ()),
                Cell::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).unwrap_or(1900),
                        u8::try_from(d.month()).unwrap_or(1),
                        u8::try_from(d.day()).unwrap_or(1),
                    )
                    .map_err(internal)?;
                    sheet
                        .write_datetime_with_format(r, c, &dt, &self.date)
                        .map(|_| ())
                }
            };
            written.map_err(internal)?;
        }
        self.next_row += 1;
        Ok(true)
    }
}

// ------------------------------------------------------------------------------------------------ ODS

/// An OpenDocument spreadsheet. No well-kept Rust crate writes ODS as a stream (`spreadsheet-ods` builds
/// the whole sheet in memory), so the ZIP is written with the `zip` crate to a temporary file and its
/// `content.xml` row by row, with `quick-xml`'s escaping; the manifest and styles are the minimum
/// OpenDocument 1.2 requires.
pub struct OdsSink {
    zip: zip::ZipWriter<std::fs::File>,
}

const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

const ODS_CONTENT_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2">
<office:automatic-styles>
<number:date-style style:name="N1"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>
<number:currency-style style:name="N2"><number:number number:decimal-places="2" number:min-integer-digits="1" number:grouping="true"/><number:text> </number:text><number:currency-symbol number:language="fr" number:country="FR">€</number:currency-symbol></number:currency-style>
<style:style style:name="date" style:family="table-cell" style:data-style-name="N1"/>
<style:style style:name="euros" style:family="table-cell" style:data-style-name="N2"/>
<style:style style:name="entete" style:family="table-cell"><style:text-properties fo:font-weight="bold"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="Dossiers">
"#;

const ODS_CONTENT_END: &str = "</table:table></office:spreadsheet></office:body></office:document-content>\n";

/// Text as XML character data: escaped, without the control characters XML 1.0 forbids.
fn xml_text(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

impl OdsSink {
    pub fn new() -> Result<OdsSink, CaseError> {
        let file = tempfile::tempfile().map_err(internal)?;
        let mut zip = zip::ZipWriter::new(file);
        let stored =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        // OpenDocument: `mimetype` first and uncompressed, so that the type can be read at a fixed offset.
        zip.start_file("mimetype", stored).map_err(internal)?;
        zip.write_all(ODS_MIME.as_bytes()).map_err(internal)?;
        let deflated = zip::write::SimpleFileOptions::default();
        zip.start_file("META-INF/manifest.xml", deflated)
            .map_err(internal)?;
        zip.write_all(ODS_MANIFEST.as_bytes()).map_err(internal)?;
        zip.start_file("content.xml", deflated).map_err(internal)?;
        zip.write_all(ODS_CONTENT_START.as_bytes()).map_err(internal)?;
        Ok(OdsSink { zip })
    }

    pub fn finish(mut self) -> Result<Vec<u8>, CaseError> {
        self.zip.write_all(ODS_CONTENT_END.as_bytes()).map_err(internal)?;
        let mut file = self.zip.finish().map_err(internal)?;
        let mut out = Vec::new();
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(internal)?;
        std::io::Read::read_to_end(&mut file, &mut out).map_err(internal)?;
        Ok(out)
    }

    fn put(&mut self, s: &str) -> Result<(), CaseError> {
        self.zip.write_all(s.as_bytes()).map_err(internal)
    }
}

impl Sink for OdsSink {
    fn header(&mut self, headers: &[&str]) -> Result<(), CaseError> {
        let mut xml = String::from("<table:table-row>");
        for h in headers {
            xml.push_str(&format!(
                r#"<table:table-cell table:style-name="entete" office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                xml_text(h)
            ));
        }
        xml.push_str("</table:table-row>\n");
        self.put(&xml)
    }

    fn row(&mut self, cells: &[Cell]) -> Result<bool, CaseError> {
        let mut xml = String::from("<table:table-row>");
        for cell in cells {
            match cell {
                Cell::Empty => xml.push_str("<table:table-cell/>"),
                Cell::Text(s) => xml.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    xml_text(s)
                )),
                Cell::Number(n) => xml.push_str(&format!(
                    r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{}</text:p></table:table-cell>"#,
                    french_number(*n, if n.fract() == 0.0 { 0 } else { 2 })
                )),
                Cell::Money(n) => xml.push_str(&format!(
                    r#"<table:table-cell table:style-name="euros" office:value-type="currency" office:currency="EUR" office:value="{n}"><text:p>{} €</text:p></table:table-cell>"#,
                    french_number(*n, 2)
                )),
                Cell::Date(d) => xml.push_str(&format!(
                    r#"<table:table-cell table:style-name="date" office:value-type="date" office:date-value="{}"><text:p>{}</text:p></table:table-cell>"#,
                    d.format("%Y-%m-%d"),
                    d.format("%d/%m/%Y")
                )),
            }
        }
        xml.push_str("</table:table-row>\n");
        self.put(&xml)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> std::sync::Arc<FormDefinition> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../forms");
        guichet_forms::load_dir(&dir)
            .unwrap()
            .into_iter()
            .find(|d| d.id() == "apa")
            .unwrap()
    }

    fn answer(cols: &[Column], kind: FieldType) -> (&Column, &Field) {
        cols.iter()
            .find_map(|c| match &c.source {
                Source::Answer { field, group: None } if field.kind == kind => Some((c, &**field)),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn answers_become_typed_cells_and_health_data_stays_out() {
        let def = def();
        let cols = columns(Some(&def));
        assert!(
            cols.iter()
                .all(|c| !matches!(&c.source, Source::Answer { field, .. } if field.sensitive)),
            "no sensitive column"
        );
        let headers: Vec<&str> = cols.iter().map(|c| c.header.as_str()).collect();
        let unique: std::collections::HashSet<&&str> = headers.iter().collect();
        assert_eq!(
            unique.len(),
            headers.len(),
            "every header tells its question: {headers:?}"
        );
        let (money, field) = answer(&cols, FieldType::Money);
        let row = Row {
            answers: serde_json::json!({ field.id.clone(): 1_850_000 }),
            ..Row::default()
        };
        assert_eq!(row.cell(money), Cell::Money(18_500.0));
        let (date, field) = answer(&cols, FieldType::Date);
        let row = Row {
            answers: serde_json::json!({ field.id.clone(): "1940-03-27" }),
            ..Row::default()
        };
        assert_eq!(
            row.cell(date),
            Cell::Date(NaiveDate::from_ymd_opt(1940, 3, 27).unwrap())
        );
        assert_eq!(Row::default().cell(date), Cell::Empty);
    }

    #[test]
    fn a_template_keeps_its_columns_in_order_and_a_stale_one_falls_back_to_all() {
        let all = columns(Some(&def()));
        let n = all.len();
        let keep = vec!["echeance".to_owned(), "numero".to_owned()];
        let picked: Vec<String> = chosen(all.clone(), &keep).into_iter().map(|c| c.key).collect();
        assert_eq!(picked, ["numero", "echeance"]);
        assert_eq!(chosen(all, &["champ-disparu".to_owned()]).len(), n);
    }

    fn formula_row() -> Vec<Cell> {
        vec![
            Cell::Text("=HYPERLINK(\"http://x\")".into()),
            Cell::Text("+33 1 23".into()),
            Cell::Money(1201.61),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()),
        ]
    }

    #[test]
    fn csv_defuses_formulas_and_writes_french_numbers_and_dates() {
        let mut out = Vec::new();
        let mut sink = CsvSink::new(|b| {
            out.extend(b);
            true
        });
        sink.header(&["Bénéficiaire", "Téléphone", "Montant", "Date"])
            .unwrap();
        assert!(sink.row(&formula_row()).unwrap());
        assert!(sink.finish());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\u{feff}Bénéficiaire;Téléphone;Montant;Date\n\"'=HYPERLINK(\"\"http://x\"\")\";'+33 1 23;1201,61;03/12/2026\n"
        );
    }

    #[test]
    fn csv_stops_when_the_reader_goes_away() {
        let mut sink = CsvSink::new(|_| false);
        sink.header(&["Numéro"]).unwrap();
        let long = Cell::Text("x".repeat(CHUNK));
        let mut more = true;
        for _ in 0..10 {
            more = sink.row(std::slice::from_ref(&long)).unwrap();
            if !more {
                break;
            }
        }
        assert!(!more);
    }

    fn zip_entry(bytes: Vec<u8>, name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    }

    #[test]
    fn xlsx_writes_texts_as_texts_never_formulas() {
        let mut x = XlsxSink::new().unwrap();
        x.header(&["Bénéficiaire", "Téléphone", "Montant", "Date"])
            .unwrap();
        x.row(&formula_row()).unwrap();
        let sheet = zip_entry(x.finish().unwrap(), "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "{sheet}");
    }

    #[test]
    fn ods_is_an_opendocument_with_typed_cells() {
        let mut x = OdsSink::new().unwrap();
        x.header(&["Bénéficiaire", "Téléphone", "Montant", "Date"])
            .unwrap();
        x.row(&formula_row()).unwrap();
        let bytes = x.finish().unwrap();
        // The type at its fixed offset: `mimetype` first and stored.
        assert_eq!(&bytes[30..38], b"mimetype");
        assert_eq!(&bytes[38..38 + ODS_MIME.len()], ODS_MIME.as_bytes());
        let content = zip_entry(bytes, "content.xml");
        assert!(
            content.contains(r#"office:value-type="currency" office:currency="EUR" office:value="1201.61""#),
            "{content}"
        );
        assert!(content.contains(r#"office:date-value="2026-12-03""#), "{content}");
        assert!(
            content.contains("<text:p>=HYPERLINK(&quot;http://x&quot;)</text:p>"),
            "{content}"
        );
        assert!(!content.contains("table:formula"), "{content}");
    }
}
