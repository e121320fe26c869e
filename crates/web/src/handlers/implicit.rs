//! Implicit decisions on the pages: the usager's block (attestation of an implicit acceptance, CRPA
//! L232-3; request for the reasons of an implicit rejection, CRPA L232-4), the back office's notice and
//! warning, the queue's flag.

use actix_web::{HttpResponse, web};
use guichet_dossiers::{Dossier, State};
use guichet_forms::{FormDefinition, Silence, french_date};
use guichet_usecases::implicit::{self, Implicit};

use super::demarches::{load_own, pdf_response};
use super::see_other;
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::CurrentUser;

/// The usager's block about the implicit decision of their dossier.
#[derive(Debug, Clone)]
pub struct UsagerImplicit {
    /// The block's heading.
    pub title: String,
    /// « Décision implicite de rejet le 3 février 2027 ».
    pub headline: String,
    pub paragraphs: Vec<String>,
    /// The attestation of an implicit acceptance.
    pub attestation_href: Option<String>,
    /// The button « Demander les motifs du refus » is shown.
    pub can_ask_motifs: bool,
    /// When the reasons are due, once asked.
    pub motifs: Option<String>,
}

/// The back office's notice of an implicit decision.
#[derive(Debug, Clone)]
pub struct StaffImplicit {
    pub headline: String,
    pub warning: String,
    /// After an acceptance, deciding otherwise needs care (the notice is set as important).
    pub acceptance: bool,
    pub motifs: Option<String>,
}

async fn status(state: &AppState, d: &Dossier) -> WebResult<Option<Implicit>> {
    if d.implicit_at.is_none() {
        return Ok(None);
    }
    let dd = d.clone();
    state
        .pool
        .run(move |c| implicit::status(c, &dd).map_err(WebError::from))
        .await
}

fn reference(def: &FormDefinition, silence: Silence) -> String {
    format!(" ({})", implicit::silence_reference(def, silence))
}

fn motifs_line(m: &implicit::MotifsRequest, who: &str) -> String {
    format!(
        "{who} les motifs du refus le {} : le service doit les communiquer au plus tard le {} (article L232-4 du code des relations entre le public et l’administration).",
        french_date(m.asked_on),
        french_date(m.due_on)
    )
}

/// The block of the usager's dossier page, while the dossier awaits its explicit decision.
pub async fn usager_view(
    state: &AppState,
    d: &Dossier,
    def: &FormDefinition,
) -> WebResult<Option<UsagerImplicit>> {
    if !matches!(d.state, State::Depose | State::EnInstruction) {
        return Ok(None);
    }
    let Some(i) = status(state, d).await? else {
        return Ok(None);
    };
    let on = french_date(i.deemed_on);
    let why = reference(def, i.silence);
    // The MDPH answers for the rights its CDAPH decides, the département for the others.
    let (who, _) = guichet_usecases::deadlines::who_answers(def);
    let view = match i.silence {
        Silence::Rejet => UsagerImplicit {
            title: "Sans réponse dans le délai, votre demande est réputée refusée".into(),
            headline: i.headline(),
            paragraphs: vec![
                format!(
                    "{who} devait vous répondre au plus tard le {on}. Sans réponse à cette date, la loi considère que votre demande est refusée{why}."
                ),
                "Le service continue d’examiner votre dossier et peut encore vous répondre par écrit.".into(),
                "Vous pouvez demander pourquoi votre demande est refusée : le service doit vous donner les motifs dans un délai d’un mois. Faites cette demande dans le délai pour contester le refus (deux mois).".into(),
            ],
            attestation_href: None,
            can_ask_motifs: i.motifs.is_none(),
            motifs: i.motifs.as_ref().map(|m| motifs_line(m, "Vous avez demandé")),
        },
        Silence::Acceptation | Silence::AcceptationForfaitaire => {
            let first = match (i.silence, i.amount) {
                (Silence::AcceptationForfaitaire, Some(a)) => format!(
                    "Le département devait vous répondre au plus tard le {on}. Sans réponse à cette date, l’aide vous est accordée à titre provisoire depuis le {on}, pour un montant forfaitaire de {a} par mois, jusqu’à la décision du département{why}."
                ),
                _ => format!(
                    "{who} devait vous répondre au plus tard le {on}. Sans réponse à cette date, votre demande est réputée acceptée{why}."
                ),
            };
            UsagerImplicit {
                title: if i.silence == Silence::AcceptationForfaitaire {
                    "Sans réponse dans le délai, l’aide vous est accordée à titre provisoire".into()
                } else {
                    "Sans réponse dans le délai, votre demande est réputée acceptée".into()
                },
                headline: i.headline(),
                paragraphs: vec![
                    first,
                    "L’attestation prouve cette décision : gardez-la et présentez-la si on vous la demande (article L232-3 du code des relations entre le public et l’administration).".into(),
                ],
                attestation_href: Some(format!(
                    "/dossiers/{}/attestation-decision-implicite.pdf",
                    d.id
                )),
                can_ask_motifs: false,
                motifs: None,
            }
        }
    };
    Ok(Some(view))
}

/// The notice on the back office's dossier page.
pub async fn staff_view(state: &AppState, d: &Dossier) -> WebResult<Option<StaffImplicit>> {
    Ok(status(state, d).await?.map(|i| StaffImplicit {
        headline: i.headline(),
        warning: i.staff_warning(),
        acceptance: i.is_acceptance(),
        motifs: i.motifs.as_ref().map(|m| motifs_line(m, "L’usager a demandé")),
    }))
}

/// The queue's flag: « Décision implicite de rejet le … » (the procedure's current definition says what
/// silence means), empty without one.
pub fn queue_flag(state: &AppState, procedure: &str, implicit_at: Option<chrono::NaiveDateTime>) -> String {
    let silence = state
        .procedures
        .get(procedure)
        .and_then(|p| p.def.definition().deadline.as_ref().map(|d| d.silence));
    match (implicit_at, silence) {
        (Some(t), Some(s)) => implicit::headline_of(s, t.date()),
        _ => String::new(),
    }
}

/// The attestation of the implicit acceptance of the usager's own dossier (CRPA L232-3).
pub async fn attestation_pdf(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let super::demarches::Followed { dossier: d, def, .. } =
        super::demarches::load_followed(&state, &u, &path).await?;
    let i = status(&state, &d).await?.ok_or(WebError::NotFound)?;
    let identity = crate::documents::identity(&state);
    let a = implicit::attestation(&identity, &def, &d, &i, guichet_usecases::deadlines::today())?;
    let pdf = guichet_documents::render_attestation(&a).map_err(|e| WebError::Internal(e.to_string()))?;
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    Ok(pdf_response(
        pdf,
        &format!("attestation-decision-implicite-{number}.pdf"),
    ))
}

/// The usager asks the reasons of the implicit rejection (one click: the text is fixed).
pub async fn ask_motifs(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (d, _def) = load_own(&state, &u, &path).await?;
    let (id, owner) = (d.id.clone(), u.user.id.clone());
    state
        .pool
        .run(move |c| {
            implicit::ask_motifs(c, &owner, &id, guichet_usecases::deadlines::today()).map_err(WebError::from)
        })
        .await?;
    Ok(see_other(&format!("/dossiers/{}#decision-implicite", d.id)))
}
