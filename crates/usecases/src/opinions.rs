//! Expert opinions (avis): an instructor asks a question about a dossier of an expert of its service (a
//! médecin or an ergothérapeute of the équipe pluridisciplinaire, the service social: members whose role
//! there is `expert` or `evaluateur`), sharing chosen documents; the expert sees only that and answers
//! once. Opinions are internal to the back office: never shown to the usager, never in a letter.

use chrono::NaiveDate;
use guichet_accounts::{services, users};
use guichet_db::AnyConnection;
use guichet_dossiers::access::Viewer;
use guichet_dossiers::opinions::{self, Ask, Expert, Opinion};
use guichet_dossiers::store::{self, Dossier};
use guichet_notify::emails::{self, OpinionNotice};
use guichet_types::ServiceRole;

use crate::error::{CaseError, Invalid, Result};
use crate::instruction::{self, Links, Need, Staff};

/// Days given to an expert when the instructor sets no date.
pub const DEFAULT_DAYS: i64 = 15;

/// The value of the expert choice for someone without an account, reached by a one-time link.
pub const EXTERNAL: &str = "externe";

/// Days a one-time link stays open after the date asked (the reminder sent then renews it once).
pub const LINK_DAYS_AFTER_DUE: i64 = 30;

fn link_expiry(due_on: NaiveDate) -> chrono::NaiveDateTime {
    (due_on + chrono::Duration::days(LINK_DAYS_AFTER_DUE))
        .and_hms_opt(23, 59, 59)
        .unwrap_or_default()
}

fn number(d: &Dossier) -> String {
    d.number.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Who may be asked an opinion on a dossier of this service: (user id, « Name (role) »).
pub fn experts_for(
    conn: &mut AnyConnection,
    service_code: &str,
    except: &str,
) -> Result<Vec<(String, String)>> {
    let Some(service) = services::find_by_code(conn, service_code)? else {
        return Ok(Vec::new());
    };
    Ok(services::members_with_roles(conn, &service.id)?
        .into_iter()
        .filter(|(u, role)| {
            u.id != except && !u.deactivated && matches!(role, ServiceRole::Expert | ServiceRole::Evaluateur)
        })
        .map(|(u, role)| {
            let what = if role == ServiceRole::Expert {
                "expert"
            } else {
                "évaluation"
            };
            (u.id, format!("{} ({what})", u.display_name))
        })
        .collect())
}

/// The question as typed: the expert, the question, the documents shared, the date wished.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub expert: String,
    pub question: String,
    pub documents: Vec<String>,
    /// Empty: in [`DEFAULT_DAYS`].
    pub due: String,
    /// When `expert` is [`EXTERNAL`]: who they are and where the link goes.
    pub external_name: String,
    pub external_email: String,
}

/// Asks the opinion; the expert is emailed (without the question) in the same transaction.
pub fn ask(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    procedure_title: &str,
    dossier_id: &str,
    r: &Request,
    today: NaiveDate,
) -> Result<Opinion> {
    let (d, _) = instruction::acting(conn, staff, dossier_id, Need::Act)?;
    let mut errors = Vec::new();
    let experts = experts_for(conn, &d.service_code, staff.id())?;
    let external = r.expert == EXTERNAL;
    let mut external_email = None;
    if external {
        if r.external_name.trim().is_empty() {
            errors.push(Invalid::new(
                "avis-externe-nom",
                "Écrivez le nom et la qualité de l’expert, par exemple Dr Martin, médecin traitant",
            ));
        }
        match guichet_types::Email::parse(&r.external_email) {
            Ok(e) => external_email = Some(e),
            Err(guichet_types::EmailError::Empty) => errors.push(Invalid::new(
                "avis-externe-email",
                "Saisissez l’adresse électronique de l’expert",
            )),
            Err(e) => errors.push(Invalid::new("avis-externe-email", e.to_string())),
        }
    } else if !experts.iter().any(|(id, _)| *id == r.expert) {
        errors.push(Invalid::new(
            "avis-expert",
            "Choisissez l’expert à qui demander l’avis",
        ));
    }
    let question = r.question.trim();
    if question.is_empty() {
        errors.push(Invalid::new(
            "avis-question",
            "Écrivez la question posée à l’expert",
        ));
    }
    let due = if r.due.trim().is_empty() {
        Some(today + chrono::Duration::days(DEFAULT_DAYS))
    } else {
        NaiveDate::parse_from_str(r.due.trim(), "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(r.due.trim(), "%d/%m/%Y"))
            .ok()
    };
    let due = match due {
        Some(d) if d >= today => Some(d),
        Some(_) => {
            errors.push(Invalid::new("avis-date", "Choisissez une date à venir"));
            None
        }
        None => {
            errors.push(Invalid::new(
                "avis-date",
                "Saisissez la date sous la forme 31/12/2026",
            ));
            None
        }
    };
    // Only files of this dossier can be shared.
    let files: Vec<String> = crate::files::files_of(&d.answers)
        .into_iter()
        .map(|f| f.id)
        .collect();
    let documents: Vec<String> = r
        .documents
        .iter()
        .filter(|s| files.contains(s))
        .cloned()
        .collect();
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let due_on = due.unwrap_or(today);
    let question: String = question.chars().take(5000).collect();
    // Either a member's account, or a one-time link whose clear token exists only in the email.
    let (member, token) = match &external_email {
        Some(_) => (None, Some(guichet_accounts::tokens::random_token())),
        None => (
            Some(users::find(conn, &r.expert)?.ok_or(CaseError::NotFound)?),
            None,
        ),
    };
    let name: String = r.external_name.trim().chars().take(200).collect();
    let hash = token.as_deref().map(guichet_accounts::tokens::digest);
    guichet_db::write_transaction(conn, |conn| {
        let expert = match (&member, &external_email, &hash) {
            (Some(u), _, _) => Expert::Member(&u.id),
            (None, Some(email), Some(hash)) => Expert::External {
                name: &name,
                email: email.as_str(),
                link_hash: hash,
                expires_at: link_expiry(due_on),
            },
            _ => return Err(CaseError::NotFound),
        };
        let o = opinions::ask(
            conn,
            &Ask {
                dossier_id: &d.id,
                service_code: &d.service_code,
                asked_by: staff.id(),
                expert,
                question: &question,
                documents: &documents,
                due_on,
            },
        )?;
        let email = match (&member, &external_email, &token) {
            (Some(u), _, _) => emails::opinion(
                &u.email,
                OpinionNotice::Asked,
                &number(&d),
                procedure_title,
                &format!("{}/avis/{}", links.public_url, o.id),
            ),
            (None, Some(to), Some(token)) => emails::opinion(
                to.as_str(),
                OpinionNotice::AskedByLink,
                &number(&d),
                procedure_title,
                &format!("{}/avis/lien/{token}", links.public_url),
            ),
            _ => return Err(CaseError::NotFound),
        };
        guichet_db::outbox::enqueue(conn, &email)?;
        Ok::<_, CaseError>(o)
    })
}

/// An opinion as its expert sees it: the question, the dossier's number and beneficiary, the shared files.
#[derive(Debug, Clone)]
pub struct ForExpert {
    pub opinion: Opinion,
    pub dossier: Dossier,
    /// (digest, name) of the shared files still in the dossier.
    pub files: Vec<(String, String)>,
}

/// One of the opinions asked of this expert (anyone else's does not exist for them).
pub fn for_expert(conn: &mut AnyConnection, viewer: &Viewer, id: &str) -> Result<ForExpert> {
    let opinion = opinions::find(conn, id)?
        // Still a member of the service: an expert taken out of it sees no more of its dossiers.
        .filter(|o| {
            o.expert_id.as_deref() == Some(viewer.user_id.as_str())
                && viewer.role_in(&o.service_code).is_some()
        })
        .ok_or(CaseError::NotFound)?;
    with_dossier(conn, opinion)
}

fn with_dossier(conn: &mut AnyConnection, opinion: Opinion) -> Result<ForExpert> {
    let dossier = store::find(conn, &opinion.dossier_id)?.ok_or(CaseError::NotFound)?;
    let shared = opinion.shared();
    let files = crate::files::files_of(&dossier.answers)
        .into_iter()
        .filter(|f| shared.contains(&f.id))
        .map(|f| (f.id, f.name))
        .collect();
    Ok(ForExpert {
        opinion,
        dossier,
        files,
    })
}

/// The open opinion a one-time link opens (`NotFound` once answered, expired or replaced by a reminder's).
pub fn by_link(conn: &mut AnyConnection, token: &str) -> Result<ForExpert> {
    let opinion = opinions::find_by_link(conn, &guichet_accounts::tokens::digest(token.trim()))?
        .ok_or(CaseError::NotFound)?;
    with_dossier(conn, opinion)
}

/// The expert without an account answers through the link, which is spent; the instructor is told as
/// for a member's answer.
pub fn answer_by_link(
    conn: &mut AnyConnection,
    links: &Links,
    procedure_title: &str,
    token: &str,
    text: &str,
) -> Result<Opinion> {
    let e = by_link(conn, token)?;
    let text = answer_text(text)?;
    let notice = answered_notice(conn, links, &e, procedure_title)?;
    guichet_db::write_transaction(conn, |conn| {
        let o = opinions::answer_by_link(conn, &guichet_accounts::tokens::digest(token.trim()), &text)
            .map_err(|e| match e {
                guichet_dossiers::store::DossierError::Conflict => {
                    CaseError::Refused("Cet avis a déjà été donné : le lien ne sert plus.".into())
                }
                e => e.into(),
            })?;
        if let Some(n) = &notice {
            guichet_db::outbox::enqueue(conn, n)?;
        }
        Ok::<_, CaseError>(o)
    })
}

/// The answer as typed, checked: not empty, bounded.
fn answer_text(text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "avis-reponse",
            "Écrivez votre avis avant de l’envoyer",
        )]));
    }
    Ok(text.chars().take(10_000).collect())
}

/// The email telling the asker the answer came: at once, unless they turned these emails off or read
/// them in the daily digest (`usecases::notifications`).
fn answered_notice(
    conn: &mut AnyConnection,
    links: &Links,
    e: &ForExpert,
    procedure_title: &str,
) -> Result<Option<guichet_db::outbox::NewEmail>> {
    let (wants, _) = guichet_accounts::preferences::notifications_of(conn, &e.opinion.asked_by)?;
    let asker = users::find(conn, &e.opinion.asked_by)?.filter(|_| wants.opinion && !wants.digest);
    Ok(asker.map(|a| {
        emails::opinion(
            &a.email,
            OpinionNotice::Answered,
            &number(&e.dossier),
            procedure_title,
            &format!(
                "{}/instruction/dossiers/{}?section=avis",
                links.public_url, e.dossier.id
            ),
        )
    }))
}

/// The opinions asked of this expert, open ones first, with each dossier's number.
pub fn list_for_expert(conn: &mut AnyConnection, viewer: &Viewer) -> Result<Vec<(Opinion, String)>> {
    let mut out = Vec::new();
    for o in opinions::of_expert(conn, &viewer.user_id)? {
        let n = store::find(conn, &o.dossier_id)?
            .map(|d| number(&d))
            .unwrap_or_default();
        out.push((o, n));
    }
    Ok(out)
}

/// The expert answers, once; the instructor who asked is emailed.
pub fn answer(
    conn: &mut AnyConnection,
    links: &Links,
    viewer: &Viewer,
    procedure_title: &str,
    id: &str,
    text: &str,
) -> Result<Opinion> {
    let e = for_expert(conn, viewer, id)?;
    let text = answer_text(text)?;
    if !e.opinion.is_open() {
        return Err(CaseError::Refused(
            "Vous avez déjà donné cet avis : il ne se modifie plus.".into(),
        ));
    }
    let notice = answered_notice(conn, links, &e, procedure_title)?;
    guichet_db::write_transaction(conn, |conn| {
        let o = opinions::answer(conn, id, &viewer.user_id, &text)?;
        if let Some(n) = &notice {
            guichet_db::outbox::enqueue(conn, n)?;
        }
        Ok::<_, CaseError>(o)
    })
}

/// Reminds once the experts whose opinion is late; returns how many were reminded.
pub fn remind_late(conn: &mut AnyConnection, links: &Links, today: NaiveDate) -> Result<usize> {
    let late = opinions::late_unreminded(conn, today)?;
    for o in &late {
        let Some(d) = store::find(conn, &o.dossier_id)? else {
            continue;
        };
        let member = match &o.expert_id {
            Some(uid) => match users::find(conn, uid)? {
                Some(u) => Some(u),
                None => continue,
            },
            None => None,
        };
        guichet_db::write_transaction(conn, |conn| {
            let email = match (&member, &o.expert_email) {
                (Some(u), _) => emails::opinion(
                    &u.email,
                    OpinionNotice::Late,
                    &number(&d),
                    &d.procedure,
                    &format!("{}/avis/{}", links.public_url, o.id),
                ),
                (None, Some(to)) => {
                    // Only the digest of the first link is kept: the reminder carries a new one.
                    let token = guichet_accounts::tokens::random_token();
                    opinions::renew_link(
                        conn,
                        &o.id,
                        &guichet_accounts::tokens::digest(&token),
                        link_expiry(today),
                    )?;
                    emails::opinion(
                        to,
                        OpinionNotice::LateByLink,
                        &number(&d),
                        &d.procedure,
                        &format!("{}/avis/lien/{token}", links.public_url),
                    )
                }
                (None, None) => return Ok(()),
            };
            guichet_db::outbox::enqueue(conn, &email)?;
            opinions::mark_reminded(conn, &o.id)?;
            Ok::<_, CaseError>(())
        })?;
    }
    Ok(late.len())
}
