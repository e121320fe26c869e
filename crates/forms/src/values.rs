//! Per-type normalisation and checking of one answer.
//!
//! An answer is stored either normalised (a number of cents, an ISO date, an upper-case IBAN…) or, when it
//! did not pass, as the text the usager typed, so nothing typed is lost. Checking is therefore idempotent:
//! it accepts both the raw text and the normalised form.

use chrono::{Datelike, Months, NaiveDate};
use guichet_types::{Email, Euros, Iban, Nir, Phone, PostalCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::communes;
use crate::definition::{Field, FieldType};

/// A file already uploaded by the web crate, as stored in the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    /// Storage key (content hash) given by the web crate.
    pub id: String,
    /// Original file name, for display.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type sniffed from the bytes.
    pub content_type: String,
    /// Date of the document (`YYYY-MM-DD`) when the field has a validity period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_date: Option<String>,
    /// The document of the person's space it was taken from (« utiliser un document déjà fourni »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<String>,
}

/// Outcome of checking one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// No answer.
    Empty,
    /// A valid answer, normalised.
    Valid(Value),
    /// An invalid answer, with the French message.
    Invalid(String),
}

/// A date bound: absolute, or relative to the day of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    Absolute(NaiveDate),
    Relative { years: i32, months: i32, days: i32 },
}

impl DateBound {
    /// Parses `YYYY-MM-DD`, `today`, `today-12m`, `today+3m`, `today-60y`, `today-10d`, `today-1y-6m`.
    pub fn parse(s: &str) -> Option<DateBound> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(DateBound::Absolute(d));
        }
        let mut rest = s.strip_prefix("today")?;
        let (mut years, mut months, mut days) = (0, 0, 0);
        while !rest.is_empty() {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            rest = &rest[1..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let n: i32 = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            let unit = rest.chars().next()?;
            rest = &rest[unit.len_utf8()..];
            match unit {
                'y' => years += sign * n,
                'm' => months += sign * n,
                'd' => days += sign * n,
                _ => return None,
            }
        }
        Some(DateBound::Relative { years, months, days })
    }

    pub fn resolve(&self, today: NaiveDate) -> NaiveDate {
        match *self {
            DateBound::Absolute(d) => d,
            DateBound::Relative { years, months, days } => {
                let total = years * 12 + months;
                let shifted = if total >= 0 {
                    today.checked_add_months(Months::new(total.unsigned_abs()))
                } else {
                    today.checked_sub_months(Months::new(total.unsigned_abs()))
                }
                .unwrap_or(today);
                shifted + chrono::Duration::days(i64::from(days))
            }
        }
    }

    fn is_today(&self) -> bool {
        matches!(
            self,
            DateBound::Relative {
                years: 0,
                months: 0,
                days: 0
            }
        )
    }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `27 mars 1950`.
pub fn french_date(d: NaiveDate) -> String {
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or_default();
    // The first of the month is written as an ordinal: « 1er décembre 2026 ».
    let day = if d.day() == 1 {
        "1er".to_owned()
    } else {
        d.day().to_string()
    };
    format!("{day} {month} {}", d.year())
}

/// `1 250,50` (narrow no-break spaces as thousands separator are avoided: plain spaces read well everywhere).
pub fn french_money(cents: i64) -> String {
    let negative = cents < 0;
    let abs = cents.unsigned_abs();
    let euros = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    let frac = abs % 100;
    let sign = if negative { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac:02}")
    }
}

fn french_number(x: f64) -> String {
    let s = format!("{x}");
    s.replace('.', ",")
}

fn strip_spaces(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect()
}

/// Parses `27/03/1950`, `27 3 1950`, `27-03-1950` or ISO `1950-03-27`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let parts: Vec<&str> = s.split(['/', ' ', '-', '.']).filter(|p| !p.is_empty()).collect();
    let raw_parts: Vec<&str> = s.split('/').collect();
    // Date inputs in three boxes arrive as "j/m/a", possibly with empty boxes.
    if raw_parts.len() == 3 {
        let missing: Vec<&str> = ["un jour", "un mois", "une année"]
            .iter()
            .zip(&raw_parts)
            .filter(|(_, p)| p.trim().is_empty())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() && missing.len() < 3 {
            return Err(format!("La date doit comporter {}", missing.join(" et ")));
        }
    }
    if parts.len() != 3 || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return Err("Saisissez la date au format JJ/MM/AAAA, par exemple 27/03/1950".into());
    }
    if parts[2].len() != 4 {
        return Err("L’année doit comporter 4 chiffres, par exemple 1950".into());
    }
    let (d, m, y) = (
        parts[0].parse::<u32>(),
        parts[1].parse::<u32>(),
        parts[2].parse::<i32>(),
    );
    match (d, m, y) {
        (Ok(d), Ok(m), Ok(y)) => NaiveDate::from_ymd_opt(y, m, d)
            .ok_or_else(|| "La date doit être une vraie date, par exemple 27/03/1950".to_string()),
        _ => Err("La date doit être une vraie date, par exemple 27/03/1950".into()),
    }
}

/// An approximate date given as month and year (the day box left empty, or `9/2015`) stands for the
/// 1st of that month; any other text is left for [`parse_date`] to judge.
fn approximated(field: &Field, s: &str) -> String {
    if !field.approximate {
        return s.to_owned();
    }
    let parts: Vec<&str> = s.trim().split('/').map(str::trim).collect();
    match parts.as_slice() {
        ["", m, y] | [m, y] if !m.is_empty() && !y.is_empty() => format!("1/{m}/{y}"),
        _ => s.to_owned(),
    }
}

/// Bounds of a date field, parsed at load.
#[derive(Debug, Clone, Default)]
pub struct DateBounds {
    pub min: Option<DateBound>,
    pub max: Option<DateBound>,
}

/// Context needed by a few types: today's date and the postal code a commune depends on.
pub struct ParseCtx<'a> {
    pub today: NaiveDate,
    pub postal_code: Option<&'a str>,
}

fn as_text(raw: &Value) -> Option<&str> {
    match raw {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// Checks one answer of `field` (not a group: groups are checked item by item by the caller).
pub fn parse_answer(field: &Field, bounds: &DateBounds, raw: Option<&Value>, ctx: &ParseCtx<'_>) -> Parsed {
    let Some(raw) = raw else { return Parsed::Empty };
    if raw.is_null() {
        return Parsed::Empty;
    }
    if let Value::String(s) = raw
        && s.trim().is_empty()
    {
        return Parsed::Empty;
    }
    if let Value::Array(a) = raw
        && a.is_empty()
    {
        return Parsed::Empty;
    }
    match field.kind {
        FieldType::Text | FieldType::Textarea => {
            let Some(s) = as_text(raw) else {
                return Parsed::Invalid("Saisissez un texte".into());
            };
            let s = if field.kind == FieldType::Text {
                s.trim().to_string()
            } else {
                s.trim_end().trim_start_matches(['\n', '\r']).to_string()
            };
            let n = s.chars().count() as u32;
            if let Some(max) = field.max_length
                && n > max
            {
                return Parsed::Invalid(format!("La réponse doit contenir {max} caractères au maximum"));
            }
            if let Some(min) = field.min_length
                && n < min
            {
                return Parsed::Invalid(format!("La réponse doit contenir au moins {min} caractères"));
            }
            Parsed::Valid(Value::String(s))
        }
        FieldType::Integer => {
            let n = match raw {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => strip_spaces(s).parse::<i64>().ok(),
                _ => None,
            };
            let Some(n) = n else {
                return Parsed::Invalid("Saisissez un nombre entier, par exemple 3".into());
            };
            if let Some(min) = field.min
                && (n as f64) < min
            {
                return Parsed::Invalid(format!(
                    "Le nombre doit être supérieur ou égal à {}",
                    french_number(min)
                ));
            }
            if let Some(max) = field.max
                && (n as f64) > max
            {
                return Parsed::Invalid(format!(
                    "Le nombre doit être inférieur ou égal à {}",
                    french_number(max)
                ));
            }
            Parsed::Valid(Value::from(n))
        }
        FieldType::Decimal => {
            let x = match raw {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => strip_spaces(s)
                    .replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite()),
                _ => None,
            };
            let Some(x) = x else {
                return Parsed::Invalid("Saisissez un nombre, par exemple 2,5".into());
            };
            if let Some(min) = field.min
                && x < min
            {
                return Parsed::Invalid(format!(
                    "Le nombre doit être supérieur ou égal à {}",
                    french_number(min)
                ));
            }
            if let Some(max) = field.max
                && x > max
            {
                return Parsed::Invalid(format!(
                    "Le nombre doit être inférieur ou égal à {}",
                    french_number(max)
                ));
            }
            Parsed::Valid(
                serde_json::Number::from_f64(x)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            )
        }
        FieldType::Money => {
            let cents = match raw {
                Value::Number(n) => match n.as_i64() {
                    Some(c) => c,
                    None => {
                        return Parsed::Invalid("Saisissez un montant en euros, par exemple 1 250,50".into());
                    }
                },
                Value::String(s) => match Euros::parse(s) {
                    Ok(e) => e.cents(),
                    Err(e) => return Parsed::Invalid(e.to_string()),
                },
                _ => return Parsed::Invalid("Saisissez un montant en euros, par exemple 1 250,50".into()),
            };
            if cents < 0 && field.min.is_none() {
                return Parsed::Invalid("Le montant ne peut pas être négatif".into());
            }
            if let Some(min) = field.min
                && (cents as f64) < min * 100.0
            {
                return Parsed::Invalid(format!(
                    "Le montant doit être d’au moins {} €",
                    french_money((min * 100.0) as i64)
                ));
            }
            if let Some(max) = field.max
                && (cents as f64) > max * 100.0
            {
                return Parsed::Invalid(format!(
                    "Le montant doit être d’au plus {} €",
                    french_money((max * 100.0) as i64)
                ));
            }
            Parsed::Valid(Value::from(cents))
        }
        FieldType::Date => {
            let Some(s) = as_text(raw) else {
                return Parsed::Invalid("Saisissez une date".into());
            };
            let d = match parse_date(&approximated(field, s)) {
                Ok(d) => d,
                Err(m) => return Parsed::Invalid(m),
            };
            if let Some(b) = bounds.max {
                let limit = b.resolve(ctx.today);
                if d > limit {
                    let msg = field.max_date_message.clone().unwrap_or_else(|| {
                        if b.is_today() {
                            "La date doit être dans le passé".to_string()
                        } else {
                            format!("La date doit être le {} ou avant", french_date(limit))
                        }
                    });
                    return Parsed::Invalid(msg);
                }
            }
            if let Some(b) = bounds.min {
                let limit = b.resolve(ctx.today);
                if d < limit {
                    let msg = field.min_date_message.clone().unwrap_or_else(|| {
                        if b.is_today() {
                            "La date doit être aujourd’hui ou dans le futur".to_string()
                        } else {
                            format!("La date doit être le {} ou après", french_date(limit))
                        }
                    });
                    return Parsed::Invalid(msg);
                }
            }
            Parsed::Valid(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        FieldType::Email => match as_text(raw).map(Email::parse) {
            Some(Ok(e)) => Parsed::Valid(Value::String(e.as_str().to_string())),
            Some(Err(e)) => Parsed::Invalid(e.to_string()),
            None => Parsed::Invalid("Saisissez une adresse électronique".into()),
        },
        FieldType::Phone => match as_text(raw).map(Phone::parse) {
            Some(Ok(p)) => Parsed::Valid(Value::String(p.as_str().to_string())),
            Some(Err(e)) => Parsed::Invalid(e.to_string()),
            None => Parsed::Invalid("Saisissez un numéro de téléphone".into()),
        },
        FieldType::Nir => match as_text(raw).map(Nir::parse) {
            Some(Ok(n)) => Parsed::Valid(Value::String(n.as_str().to_string())),
            Some(Err(e)) => Parsed::Invalid(e.to_string()),
            None => Parsed::Invalid("Saisissez votre numéro de sécurité sociale".into()),
        },
        FieldType::Iban => match as_text(raw).map(Iban::parse) {
            Some(Ok(i)) => Parsed::Valid(Value::String(i.as_str().to_string())),
            Some(Err(e)) => Parsed::Invalid(e.to_string()),
            None => Parsed::Invalid("Saisissez votre IBAN".into()),
        },
        FieldType::PostalCode => match as_text(raw).map(PostalCode::parse) {
            Some(Ok(p)) => {
                if communes::communes_for_postal_code(p.as_str()).is_empty() {
                    Parsed::Invalid("Ce code postal n’existe pas : vérifiez-le".into())
                } else {
                    Parsed::Valid(Value::String(p.as_str().to_string()))
                }
            }
            Some(Err(e)) => Parsed::Invalid(e.to_string()),
            None => Parsed::Invalid("Saisissez votre code postal".into()),
        },
        FieldType::Commune => {
            // The postal code may still be stored as typed ("93 200") when the commune is checked.
            let Some(cp) = ctx.postal_code.and_then(|c| PostalCode::parse(c).ok()) else {
                return Parsed::Invalid("Saisissez d’abord un code postal valide".into());
            };
            let cp = cp.as_str();
            let typed = as_text(raw).unwrap_or_default();
            match communes::find_commune(cp, typed) {
                Some(c) => Parsed::Valid(Value::String(c.insee.to_string())),
                None => Parsed::Invalid(format!(
                    "Sélectionnez une commune qui correspond au code postal {cp}"
                )),
            }
        }
        FieldType::Choice => match as_text(raw) {
            Some(s) if field.options.iter().any(|o| o.value == s.trim()) => {
                Parsed::Valid(Value::String(s.trim().to_string()))
            }
            _ => Parsed::Invalid("Sélectionnez une réponse dans la liste".into()),
        },
        FieldType::MultiChoice => {
            let values: Vec<&str> = match raw {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .collect(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            };
            if values.is_empty() {
                return Parsed::Empty;
            }
            let mut out: Vec<Value> = Vec::with_capacity(values.len());
            for v in &values {
                match field.options.iter().find(|o| o.value == *v) {
                    None => return Parsed::Invalid("Sélectionnez des réponses dans la liste".into()),
                    Some(o) if o.exclusive && values.len() > 1 => {
                        return Parsed::Invalid(format!(
                            "Sélectionnez « {} » seul, ou d’autres réponses",
                            o.label
                        ));
                    }
                    Some(_) => {
                        if !out.iter().any(|x| x.as_str() == Some(v)) {
                            out.push(Value::String((*v).to_string()));
                        }
                    }
                }
            }
            Parsed::Valid(Value::Array(out))
        }
        FieldType::YesNo => match raw {
            Value::Bool(b) => Parsed::Valid(Value::Bool(*b)),
            Value::String(s) => match s.trim() {
                "oui" | "true" => Parsed::Valid(Value::Bool(true)),
                "non" | "false" => Parsed::Valid(Value::Bool(false)),
                _ => Parsed::Invalid("Sélectionnez oui ou non".into()),
            },
            _ => Parsed::Invalid("Sélectionnez oui ou non".into()),
        },
        FieldType::File => parse_files(field, raw, ctx),
        FieldType::Group | FieldType::Computed | FieldType::Static => Parsed::Empty,
    }
}

fn type_names(accept: &[String]) -> String {
    let names: Vec<&str> = accept
        .iter()
        .map(|t| match t.as_str() {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            "image/heic" => "HEIC",
            other => other,
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} ou {}", init.join(", "), last),
    }
}

fn parse_files(field: &Field, raw: &Value, ctx: &ParseCtx<'_>) -> Parsed {
    let files: Vec<FileRef> = match serde_json::from_value::<Vec<FileRef>>(raw.clone()) {
        Ok(f) => f,
        Err(_) => match serde_json::from_value::<FileRef>(raw.clone()) {
            Ok(f) => vec![f],
            Err(_) => return Parsed::Invalid("Ajoutez le fichier à nouveau".into()),
        },
    };
    let max_files = field.max_files.unwrap_or(1) as usize;
    if files.len() > max_files {
        return Parsed::Invalid(format!(
            "Ajoutez {max_files} fichier{} au maximum",
            if max_files > 1 { "s" } else { "" }
        ));
    }
    let max_mb = u64::from(field.max_size_mb.unwrap_or(10));
    for f in &files {
        if !field.accept.contains(&f.content_type) {
            return Parsed::Invalid(format!(
                "Le fichier « {} » doit être au format {}",
                f.name,
                type_names(&field.accept)
            ));
        }
        if f.size > max_mb * 1024 * 1024 {
            return Parsed::Invalid(format!(
                "Le fichier « {} » doit peser moins de {max_mb} Mo",
                f.name
            ));
        }
        if let Some(months) = field.validity_months {
            let Some(date) = f.document_date.as_deref() else {
                return Parsed::Invalid(format!("Indiquez la date du document « {} »", f.name));
            };
            if let Err(m) = check_document_date(months, date, ctx.today) {
                return Parsed::Invalid(m);
            }
        }
    }
    match serde_json::to_value(&files) {
        Ok(v) => Parsed::Valid(v),
        Err(_) => Parsed::Invalid("Ajoutez le fichier à nouveau".into()),
    }
}

impl FileRef {
    /// The document's date when one was given and is a real date.
    pub fn dated(&self) -> Option<NaiveDate> {
        self.document_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }

    /// « 1er juin 2026 », when the document is dated.
    pub fn date_words(&self) -> Option<String> {
        self.dated().map(french_date)
    }

    /// « PDF, 120 Ko »: what the file is, as said next to a link that opens it.
    pub fn kind_and_size(&self) -> String {
        let kind = match self.content_type.as_str() {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            "image/heic" => "HEIC",
            "image/webp" => "WebP",
            _ => "fichier",
        };
        let size = if self.size < 1024 * 1024 {
            format!("{} Ko", self.size.div_ceil(1024).max(1))
        } else {
            format!(
                "{} Mo",
                french_number((self.size as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0)
            )
        };
        format!("{kind}, {size}")
    }
}

/// Checks the date of a document whose field says how recent it must be (`validity_months`): a real
/// date, not in the future, and not older than the limit, which the message names so that nobody has to
/// count months back. The same check runs when the file is added and when the step is sent.
pub fn check_document_date(months: u32, raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let d = parse_date(raw).map_err(|m| format!("Date du document : {}", lower_first(&m)))?;
    let oldest = today.checked_sub_months(Months::new(months)).unwrap_or(today);
    if d < oldest {
        return Err(format!(
            "Le justificatif doit dater de moins de {months} mois, c’est-à-dire du {} ou après.",
            french_date(oldest)
        ));
    }
    if d > today {
        return Err("La date du document doit être dans le passé".into());
    }
    Ok(d)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// The value as shown to the usager in summaries (`27 mars 1950`, `1 250,50 €`, `06 12 34 56 78`).
pub fn display_value(field: &Field, value: &Value) -> String {
    match (field.kind, value) {
        (FieldType::Money, Value::Number(n)) => n
            .as_i64()
            .map(|c| format!("{} €", french_money(c)))
            .unwrap_or_default(),
        (FieldType::Date, Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(french_date)
            .unwrap_or_else(|_| s.clone()),
        (FieldType::Phone, Value::String(s)) => Phone::parse(s)
            .map(|p| p.formatted())
            .unwrap_or_else(|_| s.clone()),
        (FieldType::Nir, Value::String(s)) => {
            Nir::parse(s).map(|n| n.formatted()).unwrap_or_else(|_| s.clone())
        }
        (FieldType::Iban, Value::String(s)) => Iban::parse(s)
            .map(|i| i.formatted())
            .unwrap_or_else(|_| s.clone()),
        (FieldType::YesNo, Value::Bool(b)) => if *b { "Oui" } else { "Non" }.to_string(),
        (FieldType::Choice, Value::String(s)) => field
            .options
            .iter()
            .find(|o| o.value == *s)
            .map(|o| o.label.clone())
            .unwrap_or_else(|| s.clone()),
        (FieldType::MultiChoice, Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|v| {
                field
                    .options
                    .iter()
                    .find(|o| o.value == v)
                    .map(|o| o.label.as_str())
                    .unwrap_or(v)
            })
            .collect::<Vec<_>>()
            .join(", "),
        (FieldType::File, Value::Array(a)) => a
            .iter()
            .filter_map(|f| serde_json::from_value::<FileRef>(f.clone()).ok())
            .map(|f| match f.dated() {
                Some(d) => format!("{} (daté du {})", f.name, french_date(d)),
                None => f.name,
            })
            .collect::<Vec<_>>()
            .join(", "),
        (FieldType::Decimal, Value::Number(n)) => n.as_f64().map(french_number).unwrap_or_default(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Bool(b)) => if *b { "Oui" } else { "Non" }.to_string(),
        _ => String::new(),
    }
}

/// The value as put back in an `<input>` for editing (money as `1250,50`, dates as `27/03/1950`).
pub fn input_value(field: &Field, value: &Value) -> String {
    match (field.kind, value) {
        (FieldType::Money, Value::Number(n)) => n
            .as_i64()
            .map(|c| french_money(c).replace(' ', ""))
            .unwrap_or_default(),
        (FieldType::Date, Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| s.clone()),
        (FieldType::Phone | FieldType::Nir | FieldType::Iban, Value::String(_)) => {
            display_value(field, value)
        }
        (FieldType::YesNo, Value::Bool(b)) => if *b { "oui" } else { "non" }.to_string(),
        (FieldType::Decimal, Value::Number(n)) => n.as_f64().map(french_number).unwrap_or_default(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::ChoiceOption;

    fn field(kind: FieldType) -> Field {
        let text = format!(
            r#"id = "f"
type = "{}"
label = "Question""#,
            serde_json::to_value(kind).unwrap().as_str().unwrap()
        );
        toml::from_str(&text).unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn check(f: &Field, raw: Value) -> Parsed {
        check_b(f, &DateBounds::default(), raw)
    }

    fn check_b(f: &Field, b: &DateBounds, raw: Value) -> Parsed {
        parse_answer(
            f,
            b,
            Some(&raw),
            &ParseCtx {
                today: today(),
                postal_code: Some("93200"),
            },
        )
    }

    fn invalid(p: Parsed) -> String {
        match p {
            Parsed::Invalid(m) => m,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        let mut f = field(FieldType::Text);
        f.max_length = Some(3);
        assert_eq!(check(&f, "  abc ".into()), Parsed::Valid("abc".into()));
        assert_eq!(
            invalid(check(&f, "abcd".into())),
            "La réponse doit contenir 3 caractères au maximum"
        );
        assert_eq!(check(&f, "   ".into()), Parsed::Empty);
    }

    #[test]
    fn integers_accept_spaces_and_check_bounds() {
        let mut f = field(FieldType::Integer);
        f.min = Some(0.0);
        f.max = Some(20.0);
        assert_eq!(check(&f, " 1 2 ".into()), Parsed::Valid(12.into()));
        assert_eq!(
            invalid(check(&f, "douze".into())),
            "Saisissez un nombre entier, par exemple 3"
        );
        assert_eq!(
            invalid(check(&f, "21".into())),
            "Le nombre doit être inférieur ou égal à 20"
        );
    }

    #[test]
    fn decimals_accept_a_comma() {
        let f = field(FieldType::Decimal);
        assert_eq!(check(&f, "2,5".into()), Parsed::Valid(serde_json::json!(2.5)));
        assert!(matches!(check(&f, "2,5,1".into()), Parsed::Invalid(_)));
    }

    #[test]
    fn money_is_stored_in_cents_and_normalised_twice_the_same() {
        let f = field(FieldType::Money);
        assert_eq!(check(&f, "1 250,50 €".into()), Parsed::Valid(125050.into()));
        assert_eq!(check(&f, 125050.into()), Parsed::Valid(125050.into()));
        assert_eq!(
            invalid(check(&f, "-3".into())),
            "Le montant ne peut pas être négatif"
        );
        assert_eq!(
            invalid(check(&f, "12,345".into())),
            "Saisissez un montant en euros, par exemple 1 250,50"
        );
    }

    #[test]
    fn dates_in_the_future_are_refused_when_the_bound_is_today() {
        let f = field(FieldType::Date);
        let b = DateBounds {
            min: None,
            max: DateBound::parse("today"),
        };
        assert_eq!(
            check_b(&f, &b, "27/03/1950".into()),
            Parsed::Valid("1950-03-27".into())
        );
        assert_eq!(
            invalid(check_b(&f, &b, "01/01/2030".into())),
            "La date doit être dans le passé"
        );
    }

    #[test]
    fn an_approximate_date_may_leave_out_the_day() {
        let mut f = field(FieldType::Date);
        f.approximate = true;
        assert_eq!(check(&f, "/9/2015".into()), Parsed::Valid("2015-09-01".into()));
        assert_eq!(check(&f, "9/2015".into()), Parsed::Valid("2015-09-01".into()));
        assert_eq!(check(&f, "14/9/2015".into()), Parsed::Valid("2015-09-14".into()));
        assert_eq!(
            invalid(check(&f, "//2015".into())),
            "La date doit comporter un jour et un mois"
        );
        f.approximate = false;
        assert_eq!(
            invalid(check(&f, "/9/2015".into())),
            "La date doit comporter un jour"
        );
    }

    #[test]
    fn a_missing_day_is_named() {
        let f = field(FieldType::Date);
        assert_eq!(
            invalid(check(&f, "/03/1950".into())),
            "La date doit comporter un jour"
        );
        assert_eq!(
            invalid(check(&f, "31/02/1950".into())),
            "La date doit être une vraie date, par exemple 27/03/1950"
        );
        assert_eq!(
            invalid(check(&f, "27/03/50".into())),
            "L’année doit comporter 4 chiffres, par exemple 1950"
        );
    }

    #[test]
    fn an_age_bound_uses_the_definition_message() {
        let mut f = field(FieldType::Date);
        f.max_date_message = Some("Vous devez avoir au moins 60 ans".into());
        let b = DateBounds {
            min: None,
            max: DateBound::parse("today-60y"),
        };
        assert_eq!(
            invalid(check_b(&f, &b, "24/11/1966".into())),
            "Vous devez avoir au moins 60 ans"
        );
        assert_eq!(
            check_b(&f, &b, "23/11/1966".into()),
            Parsed::Valid("1966-11-23".into())
        );
    }

    #[test]
    fn a_relative_bound_in_months_is_resolved_from_today() {
        assert_eq!(
            DateBound::parse("today-12m").unwrap().resolve(today()),
            NaiveDate::from_ymd_opt(2025, 11, 23).unwrap()
        );
        assert_eq!(
            DateBound::parse("today-1y-6m+2d").unwrap().resolve(today()),
            NaiveDate::from_ymd_opt(2025, 5, 25).unwrap()
        );
        assert_eq!(DateBound::parse("yesterday"), None);
    }

    #[test]
    fn emails_are_lower_cased() {
        let f = field(FieldType::Email);
        assert_eq!(
            check(&f, " Jean@Exemple.FR ".into()),
            Parsed::Valid("jean@exemple.fr".into())
        );
        assert!(matches!(check(&f, "jean@".into()), Parsed::Invalid(_)));
    }

    #[test]
    fn phones_nir_and_iban_are_normalised() {
        assert_eq!(
            check(&field(FieldType::Phone), "+33 6 12 34 56 78".into()),
            Parsed::Valid("0612345678".into())
        );
        assert_eq!(
            check(
                &field(FieldType::Iban),
                "fr76 3000 6000 0112 3456 7890 189".into()
            ),
            Parsed::Valid("FR7630006000011234567890189".into())
        );
        assert_eq!(
            invalid(check(&field(FieldType::Nir), "1 84 12".into())),
            "Le NIR doit contenir 15 caractères"
        );
    }

    #[test]
    fn a_postal_code_must_exist() {
        let f = field(FieldType::PostalCode);
        assert_eq!(check(&f, "93 200".into()), Parsed::Valid("93200".into()));
        assert_eq!(
            invalid(check(&f, "99999".into())),
            "Ce code postal n’existe pas : vérifiez-le"
        );
    }

    #[test]
    fn a_commune_is_stored_as_its_insee_code() {
        let f = field(FieldType::Commune);
        assert_eq!(check(&f, "saint denis".into()), Parsed::Valid("93066".into()));
        assert_eq!(
            invalid(check(&f, "Paris".into())),
            "Sélectionnez une commune qui correspond au code postal 93200"
        );
    }

    #[test]
    fn choices_must_be_options_and_exclusive_options_stand_alone() {
        let mut f = field(FieldType::MultiChoice);
        f.options = vec![
            ChoiceOption {
                value: "a".into(),
                label: "A".into(),
                hint: None,
                exclusive: false,
                variants: vec![],
            },
            ChoiceOption {
                value: "aucune".into(),
                label: "Aucune".into(),
                hint: None,
                exclusive: true,
                variants: vec![],
            },
        ];
        assert_eq!(
            check(&f, serde_json::json!(["a"])),
            Parsed::Valid(serde_json::json!(["a"]))
        );
        assert_eq!(
            invalid(check(&f, serde_json::json!(["a", "aucune"]))),
            "Sélectionnez « Aucune » seul, ou d’autres réponses"
        );
        assert!(matches!(check(&f, serde_json::json!(["z"])), Parsed::Invalid(_)));
        f.kind = FieldType::Choice;
        assert!(matches!(check(&f, "z".into()), Parsed::Invalid(_)));
    }

    #[test]
    fn yes_no_accepts_oui_and_non() {
        let f = field(FieldType::YesNo);
        assert_eq!(check(&f, "oui".into()), Parsed::Valid(true.into()));
        assert_eq!(check(&f, false.into()), Parsed::Valid(false.into()));
        assert!(matches!(check(&f, "peut-être".into()), Parsed::Invalid(_)));
    }

    #[test]
    fn files_check_type_size_count_and_validity() {
        let mut f = field(FieldType::File);
        f.accept = vec!["application/pdf".into(), "image/jpeg".into()];
        f.max_size_mb = Some(1);
        f.validity_months = Some(12);
        let file = |ct: &str, size: u64, date: &str| serde_json::json!({"id": "h", "name": "certificat.pdf", "size": size, "content_type": ct, "document_date": date});
        assert!(matches!(
            check(&f, serde_json::json!([file("application/pdf", 10, "2026-01-01")])),
            Parsed::Valid(_)
        ));
        assert_eq!(
            invalid(check(
                &f,
                serde_json::json!([file("image/png", 10, "2026-01-01")])
            )),
            "Le fichier « certificat.pdf » doit être au format PDF ou JPEG"
        );
        assert_eq!(
            invalid(check(
                &f,
                serde_json::json!([file("application/pdf", 2 << 20, "2026-01-01")])
            )),
            "Le fichier « certificat.pdf » doit peser moins de 1 Mo"
        );
        assert_eq!(
            invalid(check(
                &f,
                serde_json::json!([file("application/pdf", 1, "2025-01-01")])
            )),
            "Le justificatif doit dater de moins de 12 mois, c’est-à-dire du 23 novembre 2025 ou après."
        );
        assert_eq!(
            invalid(check(
                &f,
                serde_json::json!([file("application/pdf", 1, "15/13/2026")])
            )),
            "Date du document : la date doit être une vraie date, par exemple 27/03/1950"
        );
        let undated = serde_json::json!([{"id": "h", "name": "certificat.pdf", "size": 1, "content_type": "application/pdf"}]);
        assert_eq!(
            invalid(check(&f, undated)),
            "Indiquez la date du document « certificat.pdf »"
        );
        assert_eq!(
            invalid(check(
                &f,
                serde_json::json!([
                    file("application/pdf", 1, "2026-01-01"),
                    file("application/pdf", 1, "2026-01-01")
                ])
            )),
            "Ajoutez 1 fichier au maximum"
        );
    }

    #[test]
    fn files_say_their_kind_size_and_date_in_words() {
        let f: FileRef = serde_json::from_value(serde_json::json!({"id": "h", "name": "facture.pdf", "size": 122_000, "content_type": "application/pdf", "document_date": "2026-06-01"})).unwrap();
        assert_eq!(f.kind_and_size(), "PDF, 120 Ko");
        let big = FileRef {
            vault: None,
            size: 2_500_000,
            content_type: "image/jpeg".into(),
            ..f.clone()
        };
        assert_eq!(big.kind_and_size(), "JPEG, 2,4 Mo");
        assert_eq!(
            display_value(&field(FieldType::File), &serde_json::json!([f])),
            "facture.pdf (daté du 1er juin 2026)"
        );
    }

    #[test]
    fn summaries_use_french_formats() {
        assert_eq!(
            display_value(&field(FieldType::Money), &125050.into()),
            "1 250,50 €"
        );
        assert_eq!(
            display_value(&field(FieldType::Date), &"1950-03-27".into()),
            "27 mars 1950"
        );
        assert_eq!(input_value(&field(FieldType::Money), &125050.into()), "1250,50");
        assert_eq!(french_money(100_000_000), "1 000 000");
    }
}
