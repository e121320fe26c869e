//! Batch actions of the back office: the same action on many dossiers (a page or a whole filtered view).
//!
//! A batch is not atomic: each dossier is checked and done, or refused with its reason, on its own, by
//! the very use case the dossier page calls (so the same rules, events and emails), in its own transaction.
//! The batch and its items are rows (`guichet_dossiers::batches`): the caller runs them in the
//! background a few at a time ([`run_some`]) and the agent reads the report ([`report`]) while it runs.

use guichet_db::AnyConnection;
use guichet_dossiers::batches::{self, Batch, DONE, Item, PENDING, REFUSED};
use guichet_dossiers::instruction::{Command, Complement};
use guichet_dossiers::rights::Outcome;
use serde_json::json;

use crate::catalogue::Procedures;
use crate::error::{CaseError, Invalid, Result};
use crate::instruction::{self, Links, Staff};

/// The most dossiers one batch may hold: past it, the agent filters the view first.
pub const MAX_ITEMS: usize = 1_000;

/// An action a batch applies to each of its dossiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Take,
    /// To this member of the dossier's service, or to nobody.
    Assign(Option<String>),
    Message(String),
    /// The same complement asked of every usager (a message saying what to send).
    Complement(String),
    Note(String),
    Close(String),
    /// Every open right of each dossier decided alike, with this motivation (a grant from today, without
    /// an amount: a right that needs one is refused with its reason, and the dossier left as it was).
    Decide(Outcome, String),
    /// On the agenda of this CDAPH sitting.
    Sitting(String),
}

/// The actions offered, by code, with their French names.
pub const ACTIONS: [(&str, &str); 8] = [
    ("prendre", "Prendre en charge"),
    ("affecter", "Affecter à un agent"),
    ("message", "Envoyer un message à l’usager"),
    ("complement", "Demander un complément"),
    ("note", "Ajouter une note interne"),
    ("classer", "Classer sans suite"),
    ("decider", "Décider de la même façon"),
    ("seance", "Inscrire à une séance de la CDAPH"),
];

/// Not a batch: the selection downloaded as a spreadsheet (the web layer streams it).
pub const EXPORT: (&str, &str) = ("exporter", "Exporter la sélection (XLSX)");

/// What the batch form sends beside the action's code.
#[derive(Debug, Clone, Default)]
pub struct Params<'a> {
    pub agent: &'a str,
    pub text: &'a str,
    /// `accord`, `refus` or `sans_objet`, for « Décider ».
    pub outcome: &'a str,
    /// « Je confirme ces décisions » ticked.
    pub confirmed: bool,
    pub sitting: &'a str,
}

impl Action {
    /// The action chosen in the form, with its parameters; the French error names the field to fill.
    pub fn parse(code: &str, p: &Params<'_>) -> Result<Action> {
        let (agent, text) = (p.agent, p.text.trim());
        let needs_text = |field: &str, message: &str| -> Result<String> {
            if text.is_empty() {
                Err(CaseError::Invalid(vec![Invalid::new(field, message)]))
            } else {
                Ok(text.chars().take(5000).collect())
            }
        };
        Ok(match code {
            "prendre" => Action::Take,
            "affecter" => match agent.trim() {
                "" => {
                    return Err(CaseError::Invalid(vec![Invalid::new(
                        "lot-agent",
                        "Choisissez l’agent à qui affecter les dossiers, ou « personne »",
                    )]));
                }
                "personne" => Action::Assign(None),
                id => Action::Assign(Some(id.to_owned())),
            },
            "message" => Action::Message(needs_text(
                "lot-texte",
                "Écrivez le message à envoyer à chaque usager",
            )?),
            "complement" => Action::Complement(needs_text(
                "lot-texte",
                "Écrivez ce que chaque usager doit compléter ou envoyer",
            )?),
            "note" => Action::Note(needs_text(
                "lot-texte",
                "Écrivez la note à ajouter à chaque dossier",
            )?),
            "classer" => Action::Close(needs_text(
                "lot-texte",
                "Saisissez le motif du classement sans suite",
            )?),
            "decider" => {
                let mut errors = Vec::new();
                let outcome = p.outcome.parse::<Outcome>().ok();
                if outcome.is_none() {
                    errors.push(Invalid::new(
                        "lot-decision",
                        "Choisissez la décision à prendre sur chaque droit",
                    ));
                }
                if text.is_empty() {
                    errors.push(Invalid::new(
                        "lot-texte",
                        "Écrivez la motivation de la décision, la même pour chaque dossier",
                    ));
                }
                if !p.confirmed {
                    errors.push(Invalid::new(
                        "lot-confirmation",
                        "Cochez la case pour confirmer ces décisions : elles ne pourront plus être modifiées",
                    ));
                }
                match outcome {
                    Some(o) if errors.is_empty() => Action::Decide(o, text.chars().take(5000).collect()),
                    _ => return Err(CaseError::Invalid(errors)),
                }
            }
            "seance" => match p.sitting.trim() {
                "" => {
                    return Err(CaseError::Invalid(vec![Invalid::new(
                        "lot-seance",
                        "Choisissez la séance où inscrire les dossiers",
                    )]));
                }
                id => Action::Sitting(id.to_owned()),
            },
            _ => {
                return Err(CaseError::Invalid(vec![Invalid::new(
                    "lot-action",
                    "Choisissez l’action à faire sur les dossiers",
                )]));
            }
        })
    }

    pub fn code(&self) -> &'static str {
        match self {
            Action::Take => "prendre",
            Action::Assign(_) => "affecter",
            Action::Message(_) => "message",
            Action::Complement(_) => "complement",
            Action::Note(_) => "note",
            Action::Close(_) => "classer",
            Action::Decide(..) => "decider",
            Action::Sitting(_) => "seance",
        }
    }

    pub fn label(&self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(c, _)| *c == self.code())
            .map_or("", |(_, l)| l)
    }

    fn params(&self) -> String {
        match self {
            Action::Take => json!({}),
            Action::Assign(a) => json!({ "agent": a }),
            Action::Message(t) | Action::Complement(t) | Action::Note(t) | Action::Close(t) => {
                json!({ "texte": t })
            }
            Action::Decide(o, t) => json!({ "decision": o.as_str(), "texte": t }),
            Action::Sitting(id) => json!({ "seance": id }),
        }
        .to_string()
    }

    /// The action of a stored batch.
    pub fn of(batch: &Batch) -> Option<Action> {
        let p: serde_json::Value = serde_json::from_str(&batch.params).ok()?;
        let text = p["texte"].as_str().unwrap_or_default();
        let agent = match &p["agent"] {
            serde_json::Value::String(s) => s.as_str(),
            _ => "personne",
        };
        Action::parse(
            &batch.action,
            &Params {
                agent,
                text,
                outcome: p["decision"].as_str().unwrap_or_default(),
                // Confirmed when the batch was started.
                confirmed: true,
                sitting: p["seance"].as_str().unwrap_or_default(),
            },
        )
        .ok()
    }
}

/// Records a batch of these dossiers (in the order given, each once) for the agent; returns its id. Only
/// dossiers the agent may see are named in the report; the others are refused there as not found.
pub fn start(
    conn: &mut AnyConnection,
    staff: &Staff,
    action: &Action,
    dossiers: &[String],
) -> Result<String> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<&String> = dossiers.iter().filter(|id| seen.insert(id.as_str())).collect();
    if ids.is_empty() {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "lot-dossiers",
            "Cochez au moins un dossier dans la liste, ou choisissez « tous les dossiers de la liste »",
        )]));
    }
    if ids.len() > MAX_ITEMS {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "lot-dossiers",
            format!(
                "Une action groupée porte sur {MAX_ITEMS} dossiers au plus ({} choisis) : filtrez la liste d’abord",
                ids.len()
            ),
        )]));
    }
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let number = match instruction::visible(conn, staff, id) {
            Ok((d, _)) => d.number.as_ref().map(ToString::to_string).unwrap_or_default(),
            Err(_) => String::new(),
        };
        items.push((id.clone(), number));
    }
    Ok(batches::create(
        conn,
        staff.id(),
        action.code(),
        &action.params(),
        &items,
    )?)
}

/// The dossiers of a whole queue view, as the queue shows them (one more than [`MAX_ITEMS`] at most, so
/// that [`start`] can say the view is too large).
pub fn ids_in_view(
    conn: &mut AnyConnection,
    filter: &guichet_dossiers::instruction::QueueFilter,
    viewer: &guichet_dossiers::access::Viewer,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    crate::exports::each_in_view(conn, filter, viewer, |_, items| {
        ids.extend(items.into_iter().map(|d| d.id));
        Ok(ids.len() <= MAX_ITEMS)
    })?;
    ids.truncate(MAX_ITEMS + 1);
    Ok(ids)
}

/// Why an item was refused, in words an agent reads in the report.
fn reason(e: &CaseError) -> String {
    match e {
        CaseError::NotFound => "Dossier introuvable dans vos services".to_owned(),
        CaseError::Denied(why) => (*why).to_owned(),
        CaseError::Refused(why) => why.clone(),
        CaseError::Invalid(list) => list
            .iter()
            .map(|i| i.message.as_str())
            .collect::<Vec<_>>()
            .join(" ; "),
        CaseError::Conflict => e.to_string(),
        CaseError::Db(_) | CaseError::Internal(_) => {
            tracing::error!(error = %e, "batch item failed");
            "Erreur technique : le dossier n’a pas été modifié, relancez l’action pour lui".to_owned()
        }
    }
}

/// Does one item with the dossier's current version (the batch acts on the dossier as it is now).
fn run_item(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    procedures: &Procedures,
    action: &Action,
    item: &Item,
) -> Result<()> {
    let (d, _) = instruction::visible(conn, staff, &item.dossier_id)?;
    let def = procedures.definition_of_version(conn, &d.form_version_id)?;
    let id = d.id.as_str();
    match action {
        Action::Take => {
            instruction::act(conn, links, staff, &def, id, d.lock_version, &Command::Take).map(drop)
        }
        Action::Assign(agent) => {
            instruction::assign(conn, staff, id, d.lock_version, agent.as_deref()).map(drop)
        }
        Action::Message(text) => {
            crate::messages::from_staff(conn, links, staff, &def, id, text, &[]).map(drop)
        }
        Action::Complement(text) => instruction::act(
            conn,
            links,
            staff,
            &def,
            id,
            d.lock_version,
            &Command::AskComplement(Complement {
                documents: Vec::new(),
                answers: Vec::new(),
                fields: Vec::new(),
                message: text.clone(),
            }),
        )
        .map(drop),
        Action::Note(text) => instruction::add_note(conn, staff, id, text),
        Action::Close(reason) => instruction::act(
            conn,
            links,
            staff,
            &def,
            id,
            d.lock_version,
            &Command::Close {
                reason: reason.clone(),
            },
        )
        .map(drop),
        Action::Decide(outcome, motivation) => {
            decide_alike(conn, links, staff, &def, id, *outcome, motivation)
        }
        Action::Sitting(session) => {
            crate::commission::add_dossiers(conn, staff, procedures, session, std::slice::from_ref(&d.id), "")
                .map(drop)
        }
    }
}

/// Decides every open right of the dossier alike, all or none: a right this cannot decide (it needs an
/// amount, a rate, a sitting) refuses the whole dossier with its reason.
fn decide_alike(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    def: &guichet_forms::FormDefinition,
    id: &str,
    outcome: Outcome,
    motivation: &str,
) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        let open: Vec<String> = guichet_dossiers::rights::of(conn, id)?
            .into_iter()
            .filter(|r| r.is_open())
            .map(|r| r.code)
            .collect();
        if open.is_empty() {
            return Err(CaseError::Refused("Aucun droit à décider sur ce dossier".into()));
        }
        let form = instruction::DecisionForm {
            outcome: Some(outcome),
            amount: None,
            period_start: (outcome == Outcome::Accord).then(crate::deadlines::today),
            period_end: None,
            rate: None,
            motivation: motivation.to_owned(),
            session_id: None,
            confirmed: true,
            unreadable: Vec::new(),
        };
        for code in &open {
            let (d, _) = instruction::visible(conn, staff, id)?;
            instruction::decide_right(conn, links, staff, def, id, d.lock_version, code, &form)?;
        }
        Ok(())
    })
}

/// Runs up to `budget` pending items of the batch, each settled with its outcome; returns `true` once
/// the batch is finished. Each item is its own transaction: a stop between two loses nothing done.
pub fn run_some(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    procedures: &Procedures,
    batch_id: &str,
    budget: usize,
) -> Result<bool> {
    let batch = batches::find(conn, batch_id)?.ok_or(CaseError::NotFound)?;
    let Some(action) = Action::of(&batch) else {
        return Err(CaseError::Internal(format!(
            "batch {batch_id}: unreadable action"
        )));
    };
    let pending = batches::pending(conn, batch_id)?;
    for item in pending.iter().take(budget) {
        let (status, why) = match run_item(conn, links, staff, procedures, &action, item) {
            Ok(()) => (DONE, String::new()),
            Err(e) => (REFUSED, reason(&e)),
        };
        batches::settle(conn, batch_id, item.position, status, &why)?;
    }
    if pending.len() <= budget {
        batches::finish(conn, batch_id)?;
        return Ok(true);
    }
    Ok(false)
}

/// What the server says of an item it could not finish (it stopped while the batch ran).
pub const INTERRUPTED: &str =
    "Non traité : le serveur s’est arrêté pendant l’action groupée. Relancez-la pour ce dossier.";

/// Settles the batches nobody runs any more (their process stopped): unfinished, with no item settled for
/// `idle`. Their pending items are refused with [`INTERRUPTED`]: the report is never left « en cours ».
pub fn settle_stalled(conn: &mut AnyConnection, idle: chrono::Duration) -> Result<usize> {
    let cutoff = guichet_db::now() - idle;
    let mut settled = 0;
    for b in batches::unfinished(conn)? {
        let items = batches::items(conn, &b.id)?;
        let last = items
            .iter()
            .filter_map(|i| i.done_at)
            .max()
            .unwrap_or(b.created_at);
        if last > cutoff {
            continue;
        }
        for i in items.iter().filter(|i| i.status == PENDING) {
            batches::settle(conn, &b.id, i.position, REFUSED, INTERRUPTED)?;
        }
        batches::finish(conn, &b.id)?;
        settled += 1;
    }
    Ok(settled)
}

/// A batch as its agent reads it.
#[derive(Debug, Clone)]
pub struct Report {
    pub batch: Batch,
    pub label: &'static str,
    pub items: Vec<Item>,
    pub done: usize,
    pub refused: usize,
}

impl Report {
    pub fn settled(&self) -> usize {
        self.done + self.refused
    }

    pub fn finished(&self) -> bool {
        self.batch.finished_at.is_some()
    }
}

/// The report of one of the agent's batches (another agent's does not exist for them).
pub fn report(conn: &mut AnyConnection, staff: &Staff, id: &str) -> Result<Report> {
    let batch = batches::find(conn, id)?
        .filter(|b| b.user_id == staff.id())
        .ok_or(CaseError::NotFound)?;
    let items = batches::items(conn, id)?;
    let done = items.iter().filter(|i| i.status == DONE).count();
    let refused = items.iter().filter(|i| i.status == REFUSED).count();
    let label = ACTIONS
        .iter()
        .find(|(c, _)| *c == batch.action)
        .map_or("", |(_, l)| l);
    Ok(Report {
        batch,
        label,
        items,
        done,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_read_back_as_it_was_asked() {
        for a in [
            Action::Take,
            Action::Assign(None),
            Action::Assign(Some("u-1".into())),
            Action::Message("Bonjour".into()),
            Action::Complement("Envoyez votre avis d’imposition".into()),
            Action::Note("Vu".into()),
            Action::Close("Doublon".into()),
            Action::Decide(Outcome::Refus, "Ressources supérieures au plafond".into()),
            Action::Sitting("s-1".into()),
        ] {
            let batch = Batch {
                id: "b".into(),
                user_id: "u".into(),
                action: a.code().into(),
                params: a.params(),
                total: 1,
                created_at: guichet_db::now(),
                finished_at: None,
            };
            assert_eq!(Action::of(&batch), Some(a));
        }
    }

    #[test]
    fn an_action_without_what_it_needs_names_the_field() {
        for (code, agent, text, field) in [
            ("message", "", "  ", "lot-texte"),
            ("classer", "", "", "lot-texte"),
            ("affecter", "", "", "lot-agent"),
            ("supprimer", "", "", "lot-action"),
            ("decider", "", "motif", "lot-decision"),
            ("seance", "", "", "lot-seance"),
        ] {
            let p = Params {
                agent,
                text,
                ..Params::default()
            };
            match Action::parse(code, &p) {
                Err(CaseError::Invalid(list)) => assert_eq!(list[0].field, field, "{code}"),
                other => panic!("{code}: {other:?}"),
            }
        }
        // A decision unconfirmed is refused, whatever else is right.
        let p = Params {
            text: "motif",
            outcome: "accord",
            ..Params::default()
        };
        match Action::parse("decider", &p) {
            Err(CaseError::Invalid(list)) => assert_eq!(list[0].field, "lot-confirmation"),
            other => panic!("{other:?}"),
        }
    }
}
