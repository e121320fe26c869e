//! The decision letter: what was decided on each right asked for, why, on which legal basis, and
//! how to contest each decision.
//!
//! One request can ask for several rights (an MDPH request: AAH, RQTH, CMI, PCH…), decided one by
//! one, sometimes by different authorities (the CDAPH, the président du conseil départemental) with
//! different appeal routes. Each right gets its own section with its own outcome, so a letter can no
//! longer say « accordée » while one of its rights is refused.

use chrono::NaiveDate;
use guichet_types::{DossierNumber, Euros};
use serde::{Deserialize, Serialize};

use crate::letter::{self, Layout, LetterSection, LetterText};
use crate::{DocumentError, Letterhead, french};

/// Everything printed on a decision letter. The caller fills it from the dossier and the decisions
/// taken on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The authority writing (département or MDPH), with its postal address and contact lines.
    pub letterhead: Letterhead,
    /// Who the letter is addressed to: the usager, or their legal representative.
    pub recipient: Recipient,
    /// The beneficiary, when the letter goes to a representative: printed as « Copie : … ».
    #[serde(default)]
    pub copy_to: Option<Recipient>,
    /// The person the rights are for, named in the object line: `Mme Jeanne Martin`.
    pub beneficiary_name: String,
    /// Printed in the object line and in every page footer.
    pub dossier_number: DossierNumber,
    /// Where the letter is signed: `Bobigny`. Empty when not configured: the line then reads
    /// « Le 1er décembre 2026 ».
    #[serde(default)]
    pub place: String,
    /// The date of the letter.
    pub date: NaiveDate,
    /// `Demande à la MDPH`, `Allocation personnalisée d’autonomie (APA) à domicile`.
    pub procedure_title: String,
    /// Introduces the sections: « La Commission des droits et de l’autonomie des personnes
    /// handicapées (CDAPH), réunie le 3 décembre 2026, a pris les décisions suivantes ». A colon is
    /// added.
    pub authority_sentence: String,
    /// One section each, in this order.
    pub rights: Vec<RightDecision>,
    /// Paragraphs (separated by blank lines) printed before the sections, about the whole request.
    #[serde(default)]
    pub general_motivation: Option<String>,
    /// The distinct appeal routes; each right names its own by [`AppealRoute::id`].
    pub appeals: Vec<AppealRoute>,
    /// Who signs. The name is required (CRPA L212-1).
    pub signature: Signature,
    /// The département's paragraphs before and after the decisions.
    #[serde(default)]
    pub texts: crate::LetterTexts,
}

/// The decision on one right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightDecision {
    /// `Allocation aux adultes handicapés (AAH)`: the section title.
    pub label: String,
    /// Accord, refus or sans objet: printed first in the section, « Décision : refus ».
    pub outcome: RightOutcome,
    /// Printed for an [`RightOutcome::Accord`] only: `Montant : 1 033,32 € par mois`.
    #[serde(default)]
    pub amount: Option<Euros>,
    /// After the amount: `" par mois"`, `" par an"`, or `""` for a one-off sum.
    #[serde(default)]
    pub unit_suffix: String,
    /// First day of the right (accord only): « Du 1er janvier 2027 au 31 décembre 2031 »,
    /// « À compter du 1er janvier 2027 ».
    #[serde(default)]
    pub start: Option<NaiveDate>,
    /// Last day of the right (accord only); alone it prints « Jusqu’au … ».
    #[serde(default)]
    pub end: Option<NaiveDate>,
    /// The incapacity rate as decided, e.g. `égal ou supérieur à 80 %` (printed after
    /// « Taux d’incapacité : » unless it already starts with « Taux »), for any outcome.
    #[serde(default)]
    pub rate: Option<String>,
    /// The reasons, in plain French, paragraphs separated by blank lines. Required for a refusal
    /// (CRPA L211-2).
    #[serde(default)]
    pub motivation: String,
    /// The texts applied, e.g. `CSS L821-1 et L821-2`, printed « Références : … ».
    #[serde(default)]
    pub legal_basis: String,
    /// Who decided this right (`la CDAPH`, `le président du conseil départemental`): printed only
    /// when the letter's rights were decided by different authorities.
    #[serde(default)]
    pub authority: String,
    /// The [`AppealRoute::id`] of the way to contest this decision.
    pub appeal: String,
}

/// What was decided on one right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightOutcome {
    /// Granted.
    Accord,
    /// Refused; the motivation says why.
    Refus,
    /// No decision was needed (the right is already open, the request does not apply).
    SansObjet,
}

impl RightOutcome {
    fn line(self) -> &'static str {
        match self {
            RightOutcome::Accord => "Décision : accord",
            RightOutcome::Refus => "Décision : refus",
            RightOutcome::SansObjet => "Décision : sans objet",
        }
    }
}

/// One way to contest decisions: the prior administrative appeal, then the court.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealRoute {
    /// Named by [`RightDecision::appeal`].
    pub id: String,
    /// The route's title, e.g. « Pour l’AAH, la RQTH et la PCH ». Empty: built from the labels of
    /// the rights naming this route.
    #[serde(default)]
    pub applies_to: String,
    /// The prior administrative appeal: to whom, how, within which time.
    pub administrative: String,
    /// The court to go to afterwards, and within which time.
    pub court: String,
    /// The texts, e.g. `CASF L241-9`, printed « Références : … »; may be empty.
    #[serde(default)]
    pub reference: String,
}

impl AppealRoute {
    /// Decisions of the CDAPH notified by the MDPH (AAH, AEEH, PCH, orientations): mandatory prior
    /// appeal to the MDPH, then the pôle social of the tribunal judiciaire, or the tribunal
    /// administratif for the decisions CASF L241-9 gives it. The same wording as the crate used
    /// before per-right letters (to be confirmed by the département's legal service (!)).
    pub fn mdph(id: impl Into<String>) -> Self {
        AppealRoute {
            id: id.into(),
            applies_to: String::new(),
            administrative: "Si vous n’êtes pas d’accord avec cette décision, vous devez d’abord former un recours \
                 administratif préalable obligatoire, par écrit, auprès de la maison départementale des personnes \
                 handicapées (MDPH), qui le soumettra à la commission des droits et de l’autonomie des personnes \
                 handicapées (CDAPH), dans un délai de deux mois à compter de la notification de cette lettre. \
                 Joignez-en une copie et expliquez pourquoi vous contestez la décision."
                .to_owned(),
            court: format!(
                "{} Certaines décisions, comme la reconnaissance de la qualité de travailleur handicapé ou \
                 l’orientation professionnelle, relèvent du tribunal administratif : la MDPH vous l’indiquera.",
                court_sentence("le pôle social du tribunal judiciaire", "")
            ),
            reference: "CASF L241-9 ; CSS L142-4".to_owned(),
        }
    }

    /// Decisions of the président du conseil départemental (APA, Améthyste and the other
    /// département aids): prior appeal to the président, then the tribunal administratif (CASF
    /// L134-1 to L134-3 as read before (!); CJA R421-1 for the two months).
    pub fn departement(id: impl Into<String>) -> Self {
        AppealRoute {
            id: id.into(),
            applies_to: String::new(),
            administrative: "Si vous n’êtes pas d’accord avec cette décision, vous devez d’abord former un recours \
                 administratif préalable, par écrit, auprès du président du conseil départemental, dans un délai \
                 de deux mois à compter de la notification de cette lettre. Joignez-en une copie et expliquez \
                 pourquoi vous contestez la décision."
                .to_owned(),
            court: court_sentence(
                "le tribunal administratif",
                " Vous pouvez le saisir par courrier ou par l’application Télérecours citoyens (www.telerecours.fr).",
            ),
            reference: "CASF L134-1 à L134-3 ; CJA R421-1".to_owned(),
        }
    }
}

fn court_sentence(court: &str, how: &str) -> String {
    format!(
        "Si ce recours est rejeté, ou s’il reste sans réponse pendant deux mois (ce silence vaut rejet), \
         vous pouvez saisir {court} dans un délai de deux mois à compter de ce rejet.{how}"
    )
}

/// Who the letter is addressed to, as on the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// `Mme Jeanne Martin`, or the representative: `M. Paul Durand`, `Association tutélaire 93`.
    pub name: String,
    /// `3 rue des Écoles`, `93100 Montreuil`.
    #[serde(default)]
    pub address_lines: Vec<String>,
    /// `Madame` or `Monsieur`, for « Madame, » / « Monsieur, »; otherwise « Madame, Monsieur, ».
    #[serde(default)]
    pub civility: Option<String>,
    /// Printed under the name when the letter goes to a legal representative:
    /// `en qualité de tuteur de Mme Jeanne Martin`.
    #[serde(default)]
    pub quality: Option<String>,
}

/// Who signs, printed at the right under the closing formula.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// `Pour le président du conseil départemental et par délégation`; `None` when the signatory
    /// signs in their own name.
    #[serde(default)]
    pub on_behalf: Option<String>,
    /// `La directrice de l’autonomie`.
    pub title: String,
    /// `Claire Martin`. A decision must show its signatory's first name, name and quality
    /// (CRPA L212-1): [`render_decision`] refuses a letter without it.
    #[serde(default)]
    pub name: Option<String>,
}

/// The letter's content as plain text blocks, for the usager's page (accessible HTML) and for
/// the PDF, which [`render_decision`] prints from exactly these blocks.
pub fn decision_text(decision: &Decision) -> LetterText {
    let number = decision.dossier_number.to_string();
    let beneficiary = decision.beneficiary_name.trim();
    let what = if decision.rights.len() > 1 {
        "notification des décisions"
    } else {
        "notification de la décision"
    };
    let whose = if beneficiary.is_empty() {
        String::new()
    } else {
        format!(" de {beneficiary}")
    };
    let object = format!(
        "Objet : {what} – {}{whose} (dossier n° {number})",
        decision.procedure_title.trim()
    );

    let representative = decision
        .recipient
        .quality
        .as_deref()
        .is_some_and(|q| !q.trim().is_empty());
    // Writing to a representative, say whose request it was; to the usager it goes without saying.
    let mut intro = decision.texts.opening();
    if representative && !beneficiary.is_empty() {
        intro.push(format!("La demande présentée pour {beneficiary} a été examinée."));
    }
    if let Some(general) = &decision.general_motivation {
        intro.extend(letter::paragraphs(general));
    }
    let authority = decision
        .authority_sentence
        .trim()
        .trim_end_matches(['.', ':', ' ']);
    if !authority.is_empty() {
        intro.push(format!("{authority} :"));
    }

    let routes = printed_routes(decision);
    let mixed_authorities = mixed_authorities(decision);
    let sections = decision
        .rights
        .iter()
        .map(|right| {
            let (lines, _) = right_lines(right, mixed_authorities, &routes);
            LetterSection {
                title: right.label.trim().to_owned(),
                lines,
            }
        })
        .collect();
    let appeals = routes
        .iter()
        .map(|route| {
            let mut lines: Vec<String> = [&route.route.administrative, &route.route.court]
                .into_iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            if !route.route.reference.trim().is_empty() {
                lines.push(letter::prefixed(
                    "Références : ",
                    "référence",
                    &route.route.reference,
                ));
            }
            LetterSection {
                title: route.title.clone(),
                lines,
            }
        })
        .collect();

    LetterText {
        heading: letter::heading(&decision.letterhead),
        addressee: letter::addressee(&decision.recipient),
        place_date: letter::place_date(&decision.place, decision.date),
        object,
        salutation: letter::salutation(&decision.recipient),
        intro,
        sections,
        appeals,
        closing: decision.texts.closing(&decision.recipient),
        signature: letter::signature(&decision.signature).0,
        copy: decision.copy_to.as_ref().map(letter::copy_line),
    }
}

/// Whether the rights were decided by different authorities: each section then says by whom.
fn mixed_authorities(decision: &Decision) -> bool {
    let mut authorities: Vec<&str> = decision
        .rights
        .iter()
        .map(|r| r.authority.trim())
        .filter(|a| !a.is_empty())
        .collect();
    authorities.sort_unstable();
    authorities.dedup();
    authorities.len() > 1
}

/// A route as printed: only the routes some right names, numbered when there are several.
struct PrintedRoute<'a> {
    route: &'a AppealRoute,
    title: String,
    /// `1`, `2`… when the letter has several routes; `None` for a single one.
    number: Option<usize>,
}

fn printed_routes(decision: &Decision) -> Vec<PrintedRoute<'_>> {
    let used: Vec<&AppealRoute> = decision
        .appeals
        .iter()
        .filter(|route| decision.rights.iter().any(|r| r.appeal == route.id))
        .collect();
    let several = used.len() > 1;
    used.into_iter()
        .enumerate()
        .map(|(i, route)| {
            let labels: Vec<&str> = decision
                .rights
                .iter()
                .filter(|r| r.appeal == route.id)
                .map(|r| r.label.trim())
                .collect();
            let applies = if !route.applies_to.trim().is_empty() {
                route.applies_to.trim().to_owned()
            } else if labels.len() == decision.rights.len() {
                if labels.len() == 1 {
                    "Pour cette décision".to_owned()
                } else {
                    "Pour toutes les décisions de ce courrier".to_owned()
                }
            } else {
                applies_to(&labels)
            };
            PrintedRoute {
                route,
                title: if several {
                    format!("Recours n° {} – {applies}", i + 1)
                } else {
                    applies
                },
                number: several.then_some(i + 1),
            }
        })
        .collect()
}

/// « Pour la décision « A » », « Pour les décisions « A », « B » et « C » ».
fn applies_to(labels: &[&str]) -> String {
    let quoted: Vec<String> = labels.iter().map(|l| letter::quoted(l)).collect();
    match quoted.as_slice() {
        [] => "Pour les décisions de ce courrier".to_owned(),
        [one] => format!("Pour la décision {one}"),
        [init @ .., last] => format!("Pour les décisions {} et {last}", init.join(", ")),
    }
}

/// The section lines of one right, and how many of them are key facts (shown in a panel).
fn right_lines(
    right: &RightDecision,
    mixed_authorities: bool,
    routes: &[PrintedRoute<'_>],
) -> (Vec<String>, usize) {
    let mut lines = vec![right.outcome.line().to_owned()];
    if right.outcome == RightOutcome::Accord {
        if let Some(amount) = right.amount {
            lines.push(format!("Montant : {amount}{}", right.unit_suffix));
        }
        match (right.start, right.end) {
            (Some(start), Some(end)) => {
                lines.push(format!("Du {} au {}", french::date(start), french::date(end)))
            }
            (Some(start), None) => lines.push(format!("À compter du {}", french::date(start))),
            (None, Some(end)) => lines.push(format!("Jusqu’au {}", french::date(end))),
            (None, None) => {}
        }
    }
    if let Some(rate) = right.rate.as_deref().filter(|r| !r.trim().is_empty()) {
        lines.push(letter::prefixed("Taux d’incapacité : ", "taux", rate));
    }
    if mixed_authorities && !right.authority.trim().is_empty() {
        lines.push(format!("Décision prise par : {}", right.authority.trim()));
    }
    let facts = lines.len();
    for (i, paragraph) in letter::paragraphs(&right.motivation).into_iter().enumerate() {
        lines.push(if i == 0 {
            format!("Motifs : {paragraph}")
        } else {
            paragraph
        });
    }
    if !right.legal_basis.trim().is_empty() {
        lines.push(letter::prefixed("Références : ", "référence", &right.legal_basis));
    }
    if let Some(number) = routes
        .iter()
        .find(|r| r.route.id == right.appeal)
        .and_then(|r| r.number)
    {
        lines.push(format!(
            "Pour contester cette décision : voir le recours n° {number}, en fin de courrier."
        ));
    }
    (lines, facts)
}

/// What the law requires of the letter that the input may lack. Checked before printing: a letter
/// missing one of these is defective, and the data behind it must be fixed rather than sent.
fn check(decision: &Decision) -> Result<(), DocumentError> {
    if decision.rights.is_empty() {
        return Err(DocumentError::Incomplete("aucune décision à notifier".to_owned()));
    }
    for right in &decision.rights {
        if !decision.appeals.iter().any(|a| a.id == right.appeal) {
            // The voies et délais de recours must be notified with each decision: without them the
            // time limit to contest does not run (CJA R421-5).
            return Err(DocumentError::Incomplete(format!(
                "« {} » : voie de recours « {} » inconnue",
                right.label, right.appeal
            )));
        }
        if right.outcome == RightOutcome::Refus && right.motivation.trim().is_empty() {
            // A refusal must state its reasons (CRPA L211-2).
            return Err(DocumentError::Incomplete(format!(
                "« {} » : refus sans motivation",
                right.label
            )));
        }
    }
    if decision
        .signature
        .name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        // CRPA L212-1: the signature, first name, name and quality of the author.
        return Err(DocumentError::Incomplete("nom du signataire manquant".to_owned()));
    }
    Ok(())
}

/// Renders the decision letter as PDF bytes (tagged, in French), printed from [`decision_text`].
///
/// Fails with [`DocumentError::Incomplete`] when the letter would break a legal requirement: no
/// right decided, a right whose appeal route is not in [`Decision::appeals`], a refusal without
/// motivation, or no signatory name.
pub fn render_decision(decision: &Decision) -> Result<Vec<u8>, DocumentError> {
    check(decision)?;
    let text = decision_text(decision);
    let routes = printed_routes(decision);
    let mixed = mixed_authorities(decision);
    let facts = decision
        .rights
        .iter()
        .map(|r| right_lines(r, mixed, &routes).1)
        .collect();
    let (_, signature_name, signature_on_behalf) = letter::signature(&decision.signature);
    let number = decision.dossier_number.to_string();
    letter::render(
        &text,
        &Layout {
            heading_strong: letter::heading_strong(&decision.letterhead),
            facts,
            signature_name,
            signature_on_behalf,
            footer: format!("Décision – dossier n° {number}"),
            title: format!("Décision {number} – {}", decision.procedure_title),
            author: decision.letterhead.name.clone(),
            subject: decision.procedure_title.clone(),
            date: decision.date,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appeal_titles_name_the_rights_that_use_them() {
        assert_eq!(applies_to(&["A"]), "Pour la décision «\u{a0}A\u{a0}»");
        assert_eq!(
            applies_to(&["A", "B", "C"]),
            "Pour les décisions «\u{a0}A\u{a0}», «\u{a0}B\u{a0}» et «\u{a0}C\u{a0}»"
        );
    }

    #[test]
    fn the_two_usual_routes_point_to_different_authorities_and_courts() {
        let mdph = AppealRoute::mdph("cdaph");
        assert_eq!(mdph.id, "cdaph");
        assert!(mdph.administrative.contains("CDAPH"));
        assert!(mdph.court.contains("pôle social du tribunal judiciaire"));
        let cd = AppealRoute::departement("cd");
        assert!(cd.administrative.contains("président du conseil départemental"));
        assert!(cd.court.contains("tribunal administratif"));
        assert!(!cd.court.contains("pôle social"));
    }
}
