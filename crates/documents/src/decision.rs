//! The decision letter: what was decided on a request, why, and how to contest it.

use chrono::NaiveDate;
use guichet_types::{DossierNumber, Euros};
use serde::{Deserialize, Serialize};

use crate::layout::{Composer, MARGIN_X, PAGE_WIDTH, Style, TEXT_WIDTH};
use crate::{DocumentError, Letterhead, fonts, french, pdf};

/// Everything printed on a decision letter. The caller fills it from the dossier and the
/// instructor's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The authority that decided (département or MDPH).
    pub letterhead: Letterhead,
    /// The usager, or their legal representative, as on the envelope.
    pub recipient: Recipient,
    /// Printed under the address and in every page footer.
    pub dossier_number: DossierNumber,
    /// Where the letter is signed, printed before the date: `Bobigny`.
    pub place: String,
    /// The date of the decision, printed after the place.
    pub date: NaiveDate,
    /// `Allocation personnalisée d’autonomie (APA) à domicile`.
    pub procedure_title: String,
    /// Granted (with amount and period), refused or closed.
    pub outcome: Outcome,
    /// The reasons, in plain French. Paragraphs are separated by a blank line; single line breaks
    /// are kept. Required by law for refusals (CRPA L211-2) and useful for grants too.
    pub motivation: String,
    /// How to contest the decision; [`Appeal::for_procedure`] gives the usual wording.
    pub appeal: Appeal,
    /// Who signs, under the closing formula.
    pub signature: Signature,
}

/// Who the letter is addressed to, as on the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// `Mme Hélène Dupré-Lefèvre`.
    pub name: String,
    /// `12 rue des Lilas`, `93100 Montreuil`.
    pub address_lines: Vec<String>,
}

/// What was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The request is granted, for the period given; `amount` is `None` for aids that are not a
    /// sum of money (a transport pass, a card).
    Granted {
        /// Printed in French (`1 682,30 € par mois`) through `Euros`' `Display`.
        amount: Option<Euros>,
        /// Ignored when there is no amount.
        frequency: AmountFrequency,
        /// First day of the right.
        start: NaiveDate,
        /// Last day of the right; `None` prints "à compter du" the start date only.
        end: Option<NaiveDate>,
    },
    /// The request is refused; the motivation says why.
    Refused,
    /// The request is closed without a decision on the merits (withdrawn, incomplete for too long).
    ClosedWithoutFollowUp,
}

/// How often a granted amount is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmountFrequency {
    /// `par mois`.
    Monthly,
    /// `par an`.
    Yearly,
    /// Paid once: no suffix.
    OneOff,
}

impl AmountFrequency {
    fn suffix(self) -> &'static str {
        match self {
            AmountFrequency::Monthly => " par mois",
            AmountFrequency::Yearly => " par an",
            AmountFrequency::OneOff => "",
        }
    }
}

/// The appeal routes printed under "Voies et délais de recours": first the prior administrative
/// appeal, then the court. Each is a paragraph of plain French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    /// The prior administrative appeal: to whom, how, within which time.
    pub administrative: String,
    /// The court to go to afterwards, and within which time.
    pub court: String,
}

/// The court competent after the prior appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Court {
    /// Département aids (APA, Améthyste) (!).
    TribunalAdministratif,
    /// Pôle social of the tribunal judiciaire: most MDPH decisions, PCH.
    TribunalJudiciairePoleSocial,
}

impl Appeal {
    /// Decisions of the président du conseil départemental (APA, Améthyste and the other
    /// département aids): prior appeal to the président, then `court`.
    pub fn departement(court: Court) -> Self {
        Appeal {
            administrative: "Si vous n’êtes pas d’accord avec cette décision, vous devez d’abord former un recours \
                 administratif préalable, par écrit, auprès du président du conseil départemental, dans un délai \
                 de deux mois à compter de la notification de cette lettre. Joignez-en une copie et expliquez \
                 pourquoi vous contestez la décision."
                .to_owned(),
            court: court_paragraph(court),
        }
    }

    /// Decisions of the CDAPH notified by the MDPH (AAH, AEEH, PCH, CMI, orientations): prior
    /// appeal to the MDPH, then the pôle social of the tribunal judiciaire, or the tribunal
    /// administratif for the decisions the MDPH names.
    pub fn mdph() -> Self {
        Appeal {
            administrative: "Si vous n’êtes pas d’accord avec cette décision, vous devez d’abord former un recours \
                 administratif préalable obligatoire, par écrit, auprès de la maison départementale des personnes \
                 handicapées (MDPH), qui le soumettra à la commission des droits et de l’autonomie des personnes \
                 handicapées (CDAPH), dans un délai de deux mois à compter de la notification de cette lettre. \
                 Joignez-en une copie et expliquez pourquoi vous contestez la décision."
                .to_owned(),
            court: format!(
                "{} Certaines décisions, comme la reconnaissance de la qualité de travailleur handicapé ou \
                 l’orientation professionnelle, relèvent du tribunal administratif : la MDPH vous l’indiquera.",
                court_paragraph(Court::TribunalJudiciairePoleSocial)
            ),
        }
    }

    /// The usual wording for a procedure, by its form id (`apa`, `amethyste`, `mdph`, `pch`).
    /// Unknown ids get the département's wording with the tribunal administratif.
    pub fn for_procedure(procedure_id: &str) -> Self {
        match procedure_id {
            "mdph" | "pch" => Appeal::mdph(),
            _ => Appeal::departement(Court::TribunalAdministratif),
        }
    }
}

fn court_paragraph(court: Court) -> String {
    let (name, how) = match court {
        Court::TribunalAdministratif => (
            "le tribunal administratif",
            " Vous pouvez le saisir par courrier ou par l’application Télérecours citoyens (www.telerecours.fr).",
        ),
        Court::TribunalJudiciairePoleSocial => ("le pôle social du tribunal judiciaire", ""),
    };
    format!(
        "Si ce recours est rejeté, ou s’il reste sans réponse pendant deux mois (ce silence vaut rejet), \
         vous pouvez saisir {name} dans un délai de deux mois à compter de ce rejet.{how}"
    )
}

/// Who signs, printed at the right under the closing formula.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// `Pour le président du conseil départemental et par délégation`; `None` when the signatory
    /// signs in their own name.
    pub on_behalf: Option<String>,
    /// `La directrice de l’autonomie`.
    pub title: String,
    /// `Claire Martin`.
    pub name: Option<String>,
}

/// Window envelopes (C5/DL, La Poste's standard) show the address 45 to 50 mm from the top and
/// about 100 mm from the left edge.
const ADDRESS_TOP: f32 = 130.0;
const ADDRESS_X: f32 = 306.0;

/// Renders the decision letter as PDF bytes.
pub fn render_decision(decision: &Decision) -> Result<Vec<u8>, DocumentError> {
    let fonts = fonts::fonts()?;
    let number = decision.dossier_number.to_string();
    let mut c = Composer::new(fonts, format!("Décision {number}"));

    c.letterhead(&decision.letterhead);
    c.down_to(ADDRESS_TOP);
    c.gap(6.0);
    let address_width = PAGE_WIDTH - MARGIN_X - ADDRESS_X;
    let mut address = c.wrap(&decision.recipient.name, Style::STRONG, address_width);
    let name_lines = address.len();
    for line in &decision.recipient.address_lines {
        address.extend(c.wrap(line, Style::BODY, address_width));
    }
    let (name, rest) = address.split_at(name_lines);
    c.lines(name, Style::STRONG, ADDRESS_X);
    c.lines(rest, Style::BODY, ADDRESS_X);
    c.gap(18.0);
    c.right_aligned(
        &format!("{}, le {}", decision.place, french::date(decision.date)),
        Style::BODY,
    );
    c.gap(10.0);

    c.paragraph(&format!("Dossier n° {number}"), Style::STRONG, 0.0);
    c.paragraph(
        &format!("Objet : {} – notification de décision", decision.procedure_title),
        Style::STRONG,
        0.0,
    );
    c.gap(12.0);
    c.paragraph("Madame, Monsieur,", Style::BODY, 0.0);
    c.gap(6.0);
    c.paragraph(
        &format!(
            "Votre demande « {} », enregistrée sous le numéro {number}, a été examinée.",
            decision.procedure_title
        ),
        Style::BODY,
        0.0,
    );
    c.gap(8.0);

    let width = Composer::PANEL_TEXT_WIDTH;
    let verdict = match &decision.outcome {
        Outcome::Granted { .. } => "Décision : votre demande est accordée.",
        Outcome::Refused => "Décision : votre demande est refusée.",
        Outcome::ClosedWithoutFollowUp => "Décision : votre demande est classée sans suite.",
    };
    let mut rows = vec![(c.wrap(verdict, Style::HEADING, width), Style::HEADING)];
    if let Outcome::Granted {
        amount,
        frequency,
        start,
        end,
    } = &decision.outcome
    {
        if let Some(amount) = amount {
            let text = format!("Montant accordé : {amount}{}", frequency.suffix());
            rows.push((c.wrap(&text, Style::STRONG, width), Style::STRONG));
        }
        let period = match end {
            Some(end) => format!("Période : du {} au {}", french::date(*start), french::date(*end)),
            None => format!("Période : à compter du {}", french::date(*start)),
        };
        rows.push((c.wrap(&period, Style::BODY, width), Style::BODY));
    }
    c.panel(&rows);
    c.gap(12.0);

    heading(&mut c, "Motifs de la décision");
    c.paragraph(&decision.motivation, Style::BODY, 0.0);
    c.gap(12.0);

    heading(&mut c, "Voies et délais de recours");
    c.keep(Style::SUBHEADING.leading + 2.0 * Style::BODY.leading);
    c.paragraph("Recours administratif préalable", Style::SUBHEADING, 0.0);
    c.paragraph(&decision.appeal.administrative, Style::BODY, 0.0);
    c.gap(6.0);
    c.keep(Style::SUBHEADING.leading + 2.0 * Style::BODY.leading);
    c.paragraph("Recours devant le tribunal", Style::SUBHEADING, 0.0);
    c.paragraph(&decision.appeal.court, Style::BODY, 0.0);
    c.gap(12.0);

    let closing = c.wrap(
        "Je vous prie d’agréer, Madame, Monsieur, l’expression de mes salutations distinguées.",
        Style::BODY,
        TEXT_WIDTH,
    );
    // The closing formula and the signature are one block: never a signature alone on a page.
    let sig_x = MARGIN_X + TEXT_WIDTH * 0.5;
    let sig_width = TEXT_WIDTH * 0.5;
    let on_behalf = decision
        .signature
        .on_behalf
        .as_deref()
        .map(|s| c.wrap(s, Style::SMALL, sig_width))
        .unwrap_or_default();
    let title = c.wrap(&decision.signature.title, Style::BODY, sig_width);
    let name = decision
        .signature
        .name
        .as_deref()
        .map(|s| c.wrap(s, Style::STRONG, sig_width))
        .unwrap_or_default();
    let block_height = Style::BODY.leading * (closing.len() + title.len()) as f32
        + Style::SMALL.leading * on_behalf.len() as f32
        + Style::STRONG.leading * name.len() as f32
        + 14.0;
    c.keep(block_height);
    c.lines(&closing, Style::BODY, MARGIN_X);
    c.gap(14.0);
    c.lines(&on_behalf, Style::SMALL, sig_x);
    c.lines(&title, Style::BODY, sig_x);
    c.lines(&name, Style::STRONG, sig_x);

    let title = format!("Décision {number} – {}", decision.procedure_title);
    pdf::save(
        fonts,
        c.finish(),
        &pdf::Meta {
            title: &title,
            author: &decision.letterhead.name,
            subject: &decision.procedure_title,
            date: decision.date.and_time(chrono::NaiveTime::MIN),
        },
    )
}

fn heading(c: &mut Composer, text: &str) {
    // A heading must not end a page: keep it with two lines of what follows.
    c.keep(Style::HEADING.leading + Style::SUBHEADING.leading + 2.0 * Style::BODY.leading);
    c.paragraph(text, Style::HEADING, 0.0);
    c.gap(2.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mdph_procedures_appeal_to_the_mdph_and_the_pole_social_others_to_the_president() {
        let mdph = Appeal::for_procedure("mdph");
        assert!(mdph.administrative.contains("CDAPH"));
        assert!(mdph.court.contains("pôle social du tribunal judiciaire"));
        let apa = Appeal::for_procedure("apa");
        assert!(apa.administrative.contains("président du conseil départemental"));
        assert!(apa.administrative.contains("deux mois"));
        assert!(apa.court.contains("tribunal administratif"));
    }
}
