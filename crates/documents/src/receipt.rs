//! The récépissé de dépôt: proof of the date a request was filed, what was filed, and when the
//! answer is due.

use chrono::{NaiveDate, NaiveDateTime};
use guichet_types::DossierNumber;
use serde::{Deserialize, Serialize};

use crate::layout::{Composer, MARGIN_X, Style, TEXT_WIDTH};
use crate::{DocumentError, Letterhead, fonts, french, pdf};

/// Everything printed on a deposit receipt. The caller fills it from the dossier; nothing here
/// reads a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The département (or MDPH) the request was filed with.
    pub letterhead: Letterhead,
    /// `APA-2026-000123`, printed in bold and in every page footer.
    pub dossier_number: DossierNumber,
    /// When the request was deposited, in French local time (the caller converts from UTC).
    pub deposited_at: NaiveDateTime,
    /// `Allocation personnalisée d’autonomie (APA) à domicile`.
    pub procedure_title: String,
    /// `Hélène Dupré-Lefèvre`: the person the request is for.
    pub applicant_name: String,
    /// The answers, by section, in the order of the form.
    pub sections: Vec<SummarySection>,
    /// The documents received, one name each (`Pièce d’identité : cni-recto-verso.pdf`).
    pub documents: Vec<String>,
    /// The date the answer is due and what silence means then; `None` when no legal deadline
    /// applies, and the receipt then says the service will tell.
    pub expected_answer: Option<ExpectedAnswer>,
}

/// One section of the summary of answers: a step or part of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarySection {
    /// `Partie A – Identité`.
    pub title: String,
    /// In form order; an empty section prints a sentence saying so.
    pub answers: Vec<Answer>,
}

/// A question as labelled on the form and the answer as the usager would say it (`Oui`,
/// `1 250,00 €`, `12 mars 1941`); formatting values is the caller's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The question's label; ` :` is added unless it ends with `:` or `?`.
    pub label: String,
    /// May hold several lines (`\n`) for long text answers; empty prints as "Non renseigné".
    pub value: String,
}

impl Answer {
    /// An answer from anything string-like.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Answer {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// The legal answer date of a request and the effect of silence at that date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedAnswer {
    /// The legal answer date, computed by the caller from the procedure's deadline.
    pub by: NaiveDate,
    /// What happens if no answer comes by then.
    pub silence: Silence,
}

/// What the absence of an answer by the due date means (CRPA L112-3: the receipt must say it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Silence {
    /// Silence means rejection (MDPH requests: R241-33 CASF).
    Rejection,
    /// Silence means acceptance.
    Acceptance,
    /// Any other rule, as a whole French sentence (APA: granted provisionally at a flat amount).
    Other(String),
}

impl Silence {
    /// The usual rule for a procedure, by its form id. MDPH requests (`mdph`, `pch`): rejection
    /// after 4 months (R241-33 CASF). APA (`apa`): granted provisionally at a flat amount until the
    /// decision (L232-14 CASF, still to confirm (!)). Anything else: rejection, the common case for
    /// social aid. A département with another rule passes [`Silence::Other`].
    pub fn for_procedure(procedure_id: &str) -> Self {
        match procedure_id {
            "apa" => Silence::Other(
                "Sans décision notifiée à cette date, l’allocation vous est attribuée à titre provisoire, \
                 pour un montant forfaitaire, jusqu’à la décision."
                    .to_owned(),
            ),
            _ => Silence::Rejection,
        }
    }

    /// The sentence printed under the due date.
    pub fn sentence(&self) -> &str {
        match self {
            Silence::Rejection => "Sans réponse à cette date, la demande est réputée rejetée.",
            Silence::Acceptance => "Sans réponse à cette date, la demande est réputée acceptée.",
            Silence::Other(s) => s,
        }
    }
}

impl SummarySection {
    /// A section from its title and answers.
    pub fn new(title: impl Into<String>, answers: Vec<Answer>) -> Self {
        SummarySection {
            title: title.into(),
            answers,
        }
    }
}

const ANSWER_INDENT: f32 = 10.0;

/// Renders the deposit receipt as PDF bytes: letterhead, number, date, procedure, applicant, due
/// date, documents received, then every answer, over as many A4 pages as needed.
pub fn render_receipt(receipt: &Receipt) -> Result<Vec<u8>, DocumentError> {
    let fonts = fonts::fonts()?;
    let number = receipt.dossier_number.to_string();
    let mut c = Composer::new(fonts, format!("Récépissé de dépôt {number}"));

    c.letterhead(&receipt.letterhead);
    c.gap(4.0);
    c.rule();
    c.gap(14.0);
    c.paragraph("Récépissé de dépôt", Style::TITLE, 0.0);
    c.paragraph(&receipt.procedure_title, Style::HEADING, 0.0);
    c.gap(8.0);
    c.paragraph(&format!("Numéro de dossier : {number}"), Style::STRONG, 0.0);
    c.paragraph(
        &format!("Déposé le {}", french::date_time(receipt.deposited_at)),
        Style::BODY,
        0.0,
    );
    c.paragraph(
        &format!("Personne concernée : {}", receipt.applicant_name),
        Style::BODY,
        0.0,
    );
    c.gap(10.0);

    let width = Composer::PANEL_TEXT_WIDTH;
    let rows = match &receipt.expected_answer {
        Some(answer) => vec![
            (
                c.wrap(&format!("Réponse attendue au plus tard le {}", french::date(answer.by)), Style::STRONG, width),
                Style::STRONG,
            ),
            (c.wrap(answer.silence.sentence(), Style::BODY, width), Style::BODY),
            (
                c.wrap(
                    "Ce délai est suspendu si des pièces ou des informations complémentaires vous sont demandées.",
                    Style::SMALL,
                    width,
                ),
                Style::SMALL,
            ),
        ],
        None => vec![(
            c.wrap(
                "Le service vous indiquera le délai dans lequel une réponse vous sera donnée.",
                Style::BODY,
                width,
            ),
            Style::BODY,
        )],
    };
    c.panel(&rows);
    c.gap(14.0);

    c.keep(Style::HEADING.leading + 2.0 * Style::BODY.leading);
    c.paragraph(
        &format!("Documents reçus ({})", receipt.documents.len()),
        Style::HEADING,
        0.0,
    );
    c.gap(2.0);
    if receipt.documents.is_empty() {
        c.paragraph("Aucun document n’a été joint à la demande.", Style::BODY, 0.0);
    }
    for document in &receipt.documents {
        c.bullet(document, Style::BODY);
    }
    c.gap(14.0);

    c.keep(Style::HEADING.leading + Style::SUBHEADING.leading + Style::LABEL.leading + Style::BODY.leading);
    c.paragraph("Vos réponses", Style::HEADING, 0.0);
    for section in &receipt.sections {
        c.gap(6.0);
        summary_section(&mut c, section);
    }
    c.gap(14.0);
    c.paragraph(
        "Ce récépissé prouve la date de dépôt de votre demande ; il ne vaut pas décision sur vos droits. \
         Conservez-le et rappelez le numéro de dossier dans tous vos échanges avec le service.",
        Style::SMALL,
        0.0,
    );

    let title = format!("Récépissé de dépôt {number} – {}", receipt.procedure_title);
    // The receipt stays untagged for now: its layout predates the structure tree (see README).
    let (pages, _) = c.finish();
    pdf::save(
        fonts,
        pages,
        None,
        &pdf::Meta {
            title: &title,
            author: &receipt.letterhead.name,
            subject: &receipt.procedure_title,
            date: receipt.deposited_at,
        },
    )
}

fn summary_section(c: &mut Composer, section: &SummarySection) {
    let title = c.wrap(&section.title, Style::SUBHEADING, TEXT_WIDTH);
    let rows: Vec<Row> = section.answers.iter().map(|a| Row::new(c, a)).collect();
    // A section title alone at the bottom of a page reads as a missing answer: keep it with the
    // first question and the start of its answer.
    c.keep(Style::SUBHEADING.leading * title.len() as f32 + rows.first().map_or(0.0, Row::min_height));
    c.lines(&title, Style::SUBHEADING, MARGIN_X);
    c.gap(2.0);
    for row in rows {
        match row {
            Row::Inline { label, value } => c.pair(&label, Style::LABEL, &value, Style::BODY),
            Row::Stacked { ref label, ref value } => {
                // Same for a question without its answer.
                c.keep(row.min_height());
                c.lines(label, Style::LABEL, MARGIN_X);
                c.lines(value, Style::BODY, MARGIN_X + ANSWER_INDENT);
            }
        }
        c.gap(3.0);
    }
    if section.answers.is_empty() {
        c.paragraph("Aucune réponse dans cette partie.", Style::BODY, ANSWER_INDENT);
    }
}

/// One answer laid out: on a single line (`Date de naissance : 12 mars 1941`) when question and
/// answer fit together, which halves the length of a typical summary; otherwise the question, then
/// the answer indented below it.
enum Row {
    Inline { label: String, value: String },
    Stacked { label: Vec<String>, value: Vec<String> },
}

impl Row {
    fn new(c: &Composer, answer: &Answer) -> Row {
        let value = answer.value.trim();
        let value = if value.is_empty() { "Non renseigné" } else { value };
        let label = answer.label.trim();
        let label = if label.ends_with([':', '?']) {
            label.to_owned()
        } else {
            format!("{label} :")
        };
        let inline_width =
            c.width(&label, Style::LABEL) + c.width(" ", Style::BODY) + c.width(value, Style::BODY);
        if !value.contains('\n') && inline_width <= TEXT_WIDTH {
            return Row::Inline {
                label,
                value: value.to_owned(),
            };
        }
        Row::Stacked {
            label: c.wrap(&label, Style::LABEL, TEXT_WIDTH),
            value: c.wrap(value, Style::BODY, TEXT_WIDTH - ANSWER_INDENT),
        }
    }

    /// Height of the question and the first two lines of its answer.
    fn min_height(&self) -> f32 {
        match self {
            Row::Inline { .. } => Style::BODY.leading,
            Row::Stacked { label, value } => {
                Style::LABEL.leading * label.len() as f32 + Style::BODY.leading * value.len().min(2) as f32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_rejects_mdph_requests_and_grants_apa_provisionally() {
        assert_eq!(Silence::for_procedure("mdph"), Silence::Rejection);
        assert_eq!(Silence::for_procedure("pch"), Silence::Rejection);
        assert_eq!(Silence::for_procedure("amethyste"), Silence::Rejection);
        assert!(
            Silence::for_procedure("apa")
                .sentence()
                .contains("à titre provisoire")
        );
        assert_eq!(
            Silence::Rejection.sentence(),
            "Sans réponse à cette date, la demande est réputée rejetée."
        );
    }
}
