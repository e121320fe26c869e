//! Persistence of drafts and dossiers. Each write that changes a dossier starts with a guarded
//! `UPDATE … WHERE lock_version = ?`: on SQLite it takes the write lock first (no deadlock on upgrade), on
//! both backends it makes a concurrent change fail with [`DossierError::Conflict`] instead of being lost.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::outbox::NewEmail;
use guichet_db::schema::{dossier_events, dossier_sequences, dossiers, form_versions};
use guichet_db::{AnyConnection, DbError, new_id, now};
use guichet_types::DossierNumber;
use serde_json::Value;

use crate::lifecycle::{self, Action, Actor, Position, State, TransitionError};

#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error("Dossier introuvable")]
    NotFound,
    #[error("Le dossier a été modifié entre-temps par quelqu’un d’autre : rechargez la page")]
    Conflict,
    /// Separation of duties: nobody instructs, assigns or decides a dossier they filed.
    #[error(
        "Vous avez déposé cette demande : vous ne pouvez pas l’instruire ni la confier à vous-même. Un ou une collègue du service s’en charge."
    )]
    OwnDossier,
    /// Refused for a reason the person can act on, said in French.
    #[error("{0}")]
    Refused(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for DossierError {
    fn from(e: diesel::result::Error) -> Self {
        DossierError::Db(DbError::Query(e))
    }
}

pub type Result<T, E = DossierError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
pub(crate) struct Row {
    id: String,
    number: Option<String>,
    procedure: String,
    service_code: String,
    form_version_id: String,
    owner_id: String,
    state: String,
    complement_demande: bool,
    answers: String,
    pending_answers: Option<String>,
    current_step: Option<String>,
    applicant_name: String,
    deposited_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    clock_paused_at: Option<NaiveDateTime>,
    assigned_to: Option<String>,
    decided_at: Option<NaiveDateTime>,
    closing_reason: Option<String>,
    lock_version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    #[diesel(column_name = search_key)]
    _search_key: String,
    complement_recu: bool,
    stage: Option<String>,
    complete_at: Option<NaiveDateTime>,
    implicit_at: Option<NaiveDateTime>,
}

/// A dossier (or a draft, before deposit).
#[derive(Debug, Clone, PartialEq)]
pub struct Dossier {
    pub id: String,
    pub number: Option<DossierNumber>,
    pub procedure: String,
    pub service_code: String,
    pub form_version_id: String,
    pub owner_id: String,
    pub state: State,
    pub complement_demande: bool,
    pub answers: Value,
    /// Amendments made by the usager after deposit, applied when re-deposited.
    pub pending_answers: Option<Value>,
    pub current_step: Option<String>,
    pub applicant_name: String,
    pub deposited_at: Option<NaiveDateTime>,
    /// The expected answer date (legal deadline, pushed back while a complement is awaited).
    pub due_at: Option<NaiveDateTime>,
    pub clock_paused_at: Option<NaiveDateTime>,
    pub assigned_to: Option<String>,
    /// When the dossier entered `decide` or `sans_suite`.
    pub decided_at: Option<NaiveDateTime>,
    /// Why it was closed without follow-up (the decisions themselves are per right: `rights`).
    pub closing_reason: Option<String>,
    /// The usager answered a complement request; cleared by the instructor's next action.
    pub complement_recu: bool,
    /// Where the instruction stands within `en_instruction` (APA `complet`, `evaluation`…).
    pub stage: Option<String>,
    /// APA: the day the dossier was recorded complete (the legal clock starts).
    pub complete_at: Option<NaiveDateTime>,
    /// The implicit decision recorded at the due date without an explicit one.
    pub implicit_at: Option<NaiveDateTime>,
    pub lock_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub(crate) fn json(text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| DossierError::Internal(format!("stored answers are not JSON: {e}")))
}

/// A stored dossier number (none before deposit), parsed back into its type.
pub(crate) fn stored_number(number: Option<&str>) -> Result<Option<DossierNumber>> {
    number
        .map(DossierNumber::parse)
        .transpose()
        .map_err(|e| DossierError::Internal(e.to_string()))
}

impl TryFrom<Row> for Dossier {
    type Error = DossierError;
    fn try_from(r: Row) -> Result<Dossier> {
        Ok(Dossier {
            number: stored_number(r.number.as_deref())?,
            state: r.state.parse()?,
            answers: json(&r.answers)?,
            pending_answers: r.pending_answers.as_deref().map(json).transpose()?,
            id: r.id,
            procedure: r.procedure,
            service_code: r.service_code,
            form_version_id: r.form_version_id,
            owner_id: r.owner_id,
            complement_demande: r.complement_demande,
            current_step: r.current_step,
            applicant_name: r.applicant_name,
            deposited_at: r.deposited_at,
            due_at: r.due_at,
            clock_paused_at: r.clock_paused_at,
            assigned_to: r.assigned_to,
            decided_at: r.decided_at,
            closing_reason: r.closing_reason,
            complement_recu: r.complement_recu,
            stage: r.stage,
            complete_at: r.complete_at,
            implicit_at: r.implicit_at,
            lock_version: r.lock_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Dossier {
    /// Whom the request is for, in words: the beneficiary's name, or what stands for it while no name
    /// is typed yet (a draft).
    pub fn beneficiary_words(&self) -> String {
        match self.applicant_name.trim() {
            "" => "une personne dont le nom n’est pas encore saisi".to_owned(),
            name => name.to_owned(),
        }
    }

    /// Withdrawn by its owner (`instruction::withdraw`).
    pub fn is_withdrawn(&self) -> bool {
        self.state == State::SansSuite
            && self.closing_reason.as_deref() == Some(crate::instruction::WITHDRAWN_REASON)
    }

    pub fn position(&self) -> Position {
        Position::new(self.state, self.complement_demande)
    }
}

// ------------------------------------------------------------------------------------------ form versions

/// A stored definition version.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = form_versions)]
pub struct FormVersion {
    pub id: String,
    pub form_id: String,
    pub version: String,
    pub content_hash: String,
    pub definition: String,
}

/// Stores a definition text once per content hash; returns the row (existing or new).
pub fn register_form_version(
    conn: &mut AnyConnection,
    form_id: &str,
    version: &str,
    content_hash: &str,
    definition: &str,
) -> Result<FormVersion> {
    if let Some(v) = find_form_version_by_hash(conn, content_hash)? {
        return Ok(v);
    }
    let row = FormVersion {
        id: new_id(),
        form_id: form_id.to_owned(),
        version: version.to_owned(),
        content_hash: content_hash.to_owned(),
        definition: definition.to_owned(),
    };
    let inserted = diesel::insert_into(form_versions::table)
        .values((
            form_versions::id.eq(&row.id),
            form_versions::form_id.eq(&row.form_id),
            form_versions::version.eq(&row.version),
            form_versions::content_hash.eq(&row.content_hash),
            form_versions::definition.eq(&row.definition),
            form_versions::created_at.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(row),
        // Another process registered the same text meanwhile: use theirs.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            find_form_version_by_hash(conn, content_hash)?.ok_or(DossierError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn find_form_version_by_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<FormVersion>> {
    Ok(form_versions::table
        .filter(form_versions::content_hash.eq(hash))
        .select(FormVersion::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_form_version(conn: &mut AnyConnection, id: &str) -> Result<Option<FormVersion>> {
    Ok(form_versions::table
        .find(id)
        .select(FormVersion::as_select())
        .first(conn)
        .optional()?)
}

// --------------------------------------------------------------------------------------------- drafts

/// What a new draft starts with (e.g. answers carried over from a simulation).
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub owner_id: String,
    pub procedure: String,
    pub service_code: String,
    pub form_version_id: String,
    pub answers: Value,
    pub applicant_name: String,
}

pub fn create_draft(conn: &mut AnyConnection, draft: &NewDraft) -> Result<Dossier> {
    let id = new_id();
    let t = now();
    guichet_db::write_transaction(conn, |conn| {
        diesel::insert_into(dossiers::table)
            .values((
                dossiers::id.eq(&id),
                dossiers::procedure.eq(&draft.procedure),
                dossiers::service_code.eq(&draft.service_code),
                dossiers::form_version_id.eq(&draft.form_version_id),
                dossiers::owner_id.eq(&draft.owner_id),
                dossiers::state.eq(State::Brouillon.as_str()),
                dossiers::complement_demande.eq(false),
                dossiers::answers.eq(draft.answers.to_string()),
                dossiers::applicant_name.eq(&draft.applicant_name),
                dossiers::lock_version.eq(0),
                dossiers::created_at.eq(t),
                dossiers::updated_at.eq(t),
            ))
            .execute(conn)?;
        insert_event(
            conn,
            &id,
            Some(&draft.owner_id),
            "created",
            None,
            Some(State::Brouillon),
            &Value::Null,
            true,
        )?;
        crate::files::refresh_refs(conn, &id)?;
        find(conn, &id)?.ok_or(DossierError::NotFound)
    })
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Dossier>> {
    dossiers::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Dossier::try_from)
        .transpose()
}

pub fn find_by_number(conn: &mut AnyConnection, number: &DossierNumber) -> Result<Option<Dossier>> {
    dossiers::table
        .filter(dossiers::number.eq(number.to_string()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Dossier::try_from)
        .transpose()
}

/// The usager's dossiers, most recently changed first.
pub fn list_for_owner(conn: &mut AnyConnection, owner_id: &str) -> Result<Vec<Dossier>> {
    dossiers::table
        .filter(dossiers::owner_id.eq(owner_id))
        .order(dossiers::updated_at.desc())
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Dossier::try_from)
        .collect()
}

/// Saves the answers of a step. A draft is changed in place; once deposited, changes are kept apart
/// (`pending_answers`) until re-deposit, so the instructor never sees a half-edited dossier.
pub fn save_answers(
    conn: &mut AnyConnection,
    id: &str,
    owner_id: &str,
    answers: &Value,
    current_step: Option<&str>,
    applicant_name: &str,
) -> Result<Dossier> {
    // One transaction: the answers and the file references they imply change together.
    guichet_db::write_transaction(conn, |conn| {
        let d = find(conn, id)?
            .filter(|d| d.owner_id == owner_id)
            .ok_or(DossierError::NotFound)?;
        let t = now();
        let target = dossiers::table
            .filter(dossiers::id.eq(id))
            .filter(dossiers::lock_version.eq(d.lock_version));
        let updated = match d.state {
            State::Brouillon => diesel::update(target)
                .set((
                    dossiers::answers.eq(answers.to_string()),
                    dossiers::current_step.eq(current_step),
                    dossiers::applicant_name.eq(applicant_name),
                    // A draft is in no queue: the filer joins its key at deposit, not at every step.
                    dossiers::search_key.eq(search_key(applicant_name, None, "")),
                    dossiers::lock_version.eq(d.lock_version + 1),
                    dossiers::updated_at.eq(t),
                ))
                .execute(conn)?,
            State::Depose | State::EnInstruction if d.state == State::Depose || d.complement_demande => {
                diesel::update(target)
                    .set((
                        dossiers::pending_answers.eq(Some(answers.to_string())),
                        dossiers::current_step.eq(current_step),
                        dossiers::lock_version.eq(d.lock_version + 1),
                        dossiers::updated_at.eq(t),
                    ))
                    .execute(conn)?
            }
            other => return Err(TransitionError::NotAllowedInState(other).into()),
        };
        if updated == 0 {
            return Err(DossierError::Conflict);
        }
        crate::files::refresh_refs(conn, id)?;
        find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// Deletes a draft (the only thing a user action deletes). Its events go with it (a draft is nobody
/// else's business), so the deletion itself is recorded in `purge_log`, without personal data: the
/// record that it happened, and who asked (`reason`).
pub fn delete_draft(conn: &mut AnyConnection, id: &str, owner_id: &str) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        let d = find(conn, id)?
            .filter(|d| d.owner_id == owner_id)
            .ok_or(DossierError::NotFound)?;
        if d.state != State::Brouillon {
            return Err(TransitionError::NotAllowedInState(d.state).into());
        }
        let n = diesel::delete(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(dossiers::owner_id.eq(owner_id))
                .filter(dossiers::state.eq(State::Brouillon.as_str())),
        )
        .execute(conn)?;
        if n != 1 {
            return Err(DossierError::NotFound);
        }
        diesel::insert_into(guichet_db::schema::purge_log::table)
            .values((
                guichet_db::schema::purge_log::id.eq(new_id()),
                guichet_db::schema::purge_log::kind.eq("brouillon"),
                guichet_db::schema::purge_log::procedure.eq(&d.procedure),
                guichet_db::schema::purge_log::dossier_id.eq(&d.id),
                guichet_db::schema::purge_log::dossier_number.eq(None::<String>),
                guichet_db::schema::purge_log::reason.eq(DRAFT_DELETED_BY_OWNER),
                guichet_db::schema::purge_log::reference_at.eq(d.updated_at),
                guichet_db::schema::purge_log::files.eq(0),
                guichet_db::schema::purge_log::purged_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// `purge_log.reason` of a draft its owner deleted.
pub const DRAFT_DELETED_BY_OWNER: &str = "brouillon supprimé par son auteur";

// -------------------------------------------------------------------------------------------- deposit

/// What deposit needs besides the draft: the validated answers, the number prefix and the legal deadline.
#[derive(Debug, Clone)]
pub struct Deposit {
    pub answers: Value,
    pub applicant_name: String,
    /// Number prefix, e.g. `APA`.
    pub prefix: String,
    pub due_at: Option<NaiveDateTime>,
    /// The rights the answers request, recorded with the deposit.
    pub rights: Vec<crate::rights::NewRight>,
    /// The receipt email, queued in the same transaction.
    pub email: Option<NewEmail>,
    /// The service a routing rule sends it to, instead of its procedure's (`routing`).
    pub routed_to: Option<String>,
}

/// Deposits a draft: number, state `depose`, history event and receipt email, all or nothing.
pub fn deposit(conn: &mut AnyConnection, id: &str, owner_id: &str, input: &Deposit) -> Result<Dossier> {
    // A first deposit of the year by two processes at once may race on the new sequence row: the loser
    // rolls back entirely and simply tries again.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_deposit(conn, id, owner_id, input) {
            Err(DossierError::Db(DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )))) if attempt < 3 => continue,
            other => return other,
        }
    }
}

fn try_deposit(conn: &mut AnyConnection, id: &str, owner_id: &str, input: &Deposit) -> Result<Dossier> {
    let d = find(conn, id)?
        .filter(|d| d.owner_id == owner_id)
        .ok_or(DossierError::NotFound)?;
    let to = lifecycle::transition(d.position(), Action::Deposit, Actor::Owner)?;
    let t = now();
    let year = chrono::Datelike::year(&t);
    guichet_db::write_transaction(conn, |conn| {
        let claimed = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(dossiers::lock_version.eq(d.lock_version)),
        )
        .set(dossiers::lock_version.eq(d.lock_version + 1))
        .execute(conn)?;
        if claimed == 0 {
            return Err(DossierError::Conflict);
        }
        let seq = next_sequence(conn, &input.prefix, year)?;
        let year16 = u16::try_from(year).map_err(|e| DossierError::Internal(e.to_string()))?;
        let seq32 = u32::try_from(seq).map_err(|e| DossierError::Internal(e.to_string()))?;
        let number = DossierNumber::new(&input.prefix, year16, seq32)
            .map_err(|e| DossierError::Internal(e.to_string()))?;
        diesel::update(dossiers::table.find(id))
            .set((
                dossiers::number.eq(Some(number.to_string())),
                dossiers::state.eq(to.state.as_str()),
                dossiers::complement_demande.eq(false),
                dossiers::answers.eq(input.answers.to_string()),
                dossiers::applicant_name.eq(&input.applicant_name),
                dossiers::search_key.eq(search_key(
                    &input.applicant_name,
                    Some(&number),
                    &filer_name(conn, &d.owner_id)?,
                )),
                dossiers::deposited_at.eq(Some(t)),
                dossiers::due_at.eq(input.due_at),
                dossiers::current_step.eq(None::<String>),
                dossiers::service_code.eq(input.routed_to.as_deref().unwrap_or(&d.service_code)),
                dossiers::updated_at.eq(t),
            ))
            .execute(conn)?;
        let mut payload = serde_json::json!({ "number": number.to_string() });
        if let Some(service) = &input.routed_to {
            payload["service"] = serde_json::Value::from(service.as_str());
        }
        insert_event(
            conn,
            id,
            Some(owner_id),
            Action::Deposit.as_str(),
            Some(d.state),
            Some(to.state),
            &payload,
            true,
        )?;
        crate::rights::add_missing(conn, id, &input.rights)?;
        if let Some(email) = &input.email {
            let mut email = email.clone();
            email.subject = email.subject.replace("{number}", &number.to_string());
            email.body_text = email.body_text.replace("{number}", &number.to_string());
            crate::sharing::enqueue(conn, id, &email)?;
        }
        crate::files::refresh_refs(conn, id)?;
        find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// What the instructors' search matches: the beneficiary's name without case or accents (first: the
/// queue sorts by it), the number, and the filer's name when someone filed for the beneficiary (a daughter
/// filing her mother's APA is found under either name).
pub fn search_key(applicant_name: &str, number: Option<&DossierNumber>, filer: &str) -> String {
    let mut key = fold(applicant_name);
    if let Some(n) = number {
        key.push(' ');
        key.push_str(&n.to_string().to_lowercase());
    }
    let filer = fold(filer);
    if !filer.is_empty() && filer != fold(applicant_name) {
        key.push(' ');
        key.push_str(&filer);
    }
    key
}

/// The name of the account that files the dossier, for its search key.
pub(crate) fn filer_name(conn: &mut AnyConnection, owner_id: &str) -> Result<String> {
    use guichet_db::schema::users;
    Ok(users::table
        .find(owner_id)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default())
}

/// Lower case, no accents, single spaces: "  Hélène  DUPRÉ " → "helene dupre".
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn next_sequence(conn: &mut AnyConnection, prefix: &str, year: i32) -> Result<i32> {
    let target = dossier_sequences::table
        .filter(dossier_sequences::prefix.eq(prefix))
        .filter(dossier_sequences::year.eq(year));
    let bumped = diesel::update(target)
        .set(dossier_sequences::last_value.eq(dossier_sequences::last_value + 1))
        .execute(conn)?;
    if bumped == 0 {
        diesel::insert_into(dossier_sequences::table)
            .values((
                dossier_sequences::prefix.eq(prefix),
                dossier_sequences::year.eq(year),
                dossier_sequences::last_value.eq(1),
            ))
            .execute(conn)?;
        return Ok(1);
    }
    Ok(target.select(dossier_sequences::last_value).first(conn)?)
}

// --------------------------------------------------------------------------------------------- events

/// One line of a dossier's history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dossier_events)]
pub struct Event {
    pub id: String,
    pub dossier_id: String,
    pub actor_id: Option<String>,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub payload: String,
    pub visible_to_usager: bool,
    pub created_at: NaiveDateTime,
    /// The actor as named when the event happened (empty for events older than the column).
    pub actor_label: String,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one column each; callers name them at the call site"
)]
pub(crate) fn insert_event(
    conn: &mut AnyConnection,
    dossier_id: &str,
    actor_id: Option<&str>,
    kind: &str,
    from: Option<State>,
    to: Option<State>,
    payload: &Value,
    visible_to_usager: bool,
) -> Result<()> {
    let label = match actor_id {
        Some(id) => actor_label(conn, id)?,
        None => String::new(),
    };
    diesel::insert_into(dossier_events::table)
        .values((
            dossier_events::actor_label.eq(label),
            dossier_events::id.eq(new_id()),
            dossier_events::dossier_id.eq(dossier_id),
            dossier_events::actor_id.eq(actor_id),
            dossier_events::kind.eq(kind),
            dossier_events::from_state.eq(from.map(State::as_str)),
            dossier_events::to_state.eq(to.map(State::as_str)),
            dossier_events::payload.eq(if payload.is_null() {
                "{}".to_owned()
            } else {
                payload.to_string()
            }),
            dossier_events::visible_to_usager.eq(visible_to_usager),
            dossier_events::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An event by someone without an account (an expert reached by a one-time link), named by `label`.
pub(crate) fn insert_event_as(
    conn: &mut AnyConnection,
    dossier_id: &str,
    label: &str,
    kind: &str,
    payload: &Value,
    visible_to_usager: bool,
) -> Result<()> {
    diesel::insert_into(dossier_events::table)
        .values((
            dossier_events::actor_label.eq(label),
            dossier_events::id.eq(new_id()),
            dossier_events::dossier_id.eq(dossier_id),
            dossier_events::actor_id.eq(None::<String>),
            dossier_events::kind.eq(kind),
            dossier_events::payload.eq(payload.to_string()),
            dossier_events::visible_to_usager.eq(visible_to_usager),
            dossier_events::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// How an actor is named in a dossier's history: the person's name, and for staff the services they
/// belong to now (« Karim Benali (MDPH, PCH) », service codes), so that two agents of the same name are told apart and the
/// label stays true after a move.
/// A member of staff as every page names them: « Name (APA, MDPH) », so that two agents of the same name
/// in different services are told apart; an unknown id gives an empty label.
pub fn staff_label(conn: &mut AnyConnection, user_id: &str) -> Result<String> {
    actor_label(conn, user_id)
}

fn actor_label(conn: &mut AnyConnection, user_id: &str) -> Result<String> {
    use guichet_db::schema::{memberships, services, users};
    let Some((name, role)) = users::table
        .find(user_id)
        .select((users::display_name, users::role))
        .first::<(String, String)>(conn)
        .optional()?
    else {
        return Ok(String::new());
    };
    if role == guichet_types::Role::Usager.as_str() {
        return Ok(name);
    }
    let codes: Vec<String> = memberships::table
        .inner_join(services::table)
        .filter(memberships::user_id.eq(user_id))
        .order(services::code.asc())
        .select(services::code)
        .load(conn)?;
    Ok(if codes.is_empty() {
        name
    } else {
        let codes: Vec<String> = codes.iter().map(|c| c.to_uppercase()).collect();
        format!("{name} ({})", codes.join(", "))
    })
}

/// Records something that happened on a dossier without changing it (a read of sensitive data, a note).
pub fn record_event(
    conn: &mut AnyConnection,
    dossier_id: &str,
    actor_id: &str,
    kind: &str,
    payload: &Value,
    visible_to_usager: bool,
) -> Result<()> {
    insert_event(
        conn,
        dossier_id,
        Some(actor_id),
        kind,
        None,
        None,
        payload,
        visible_to_usager,
    )
}

/// The history, oldest first; `for_usager` hides internal events (notes).
pub fn events(conn: &mut AnyConnection, dossier_id: &str, for_usager: bool) -> Result<Vec<Event>> {
    let mut q = dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .into_boxed();
    if for_usager {
        q = q.filter(dossier_events::visible_to_usager.eq(true));
    }
    Ok(
        q.order((dossier_events::created_at.asc(), dossier_events::id.asc()))
            .select(Event::as_select())
            .load(conn)?,
    )
}

/// Moves a draft to a newer definition version with its migrated answers, and records which answers the
/// usager must look at again.
pub fn rebase_draft(
    conn: &mut AnyConnection,
    id: &str,
    owner_id: &str,
    new_version_id: &str,
    answers: &Value,
    recheck: &[String],
) -> Result<Dossier> {
    let d = find(conn, id)?
        .filter(|d| d.owner_id == owner_id)
        .ok_or(DossierError::NotFound)?;
    if d.state != State::Brouillon {
        return Err(TransitionError::NotAllowedInState(d.state).into());
    }
    guichet_db::write_transaction(conn, |conn| {
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(id))
                .filter(dossiers::lock_version.eq(d.lock_version)),
        )
        .set((
            dossiers::form_version_id.eq(new_version_id),
            dossiers::answers.eq(answers.to_string()),
            dossiers::lock_version.eq(d.lock_version + 1),
            dossiers::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(DossierError::Conflict);
        }
        insert_event(
            conn,
            id,
            Some(owner_id),
            "form_version_changed",
            None,
            None,
            &serde_json::json!({ "from": d.form_version_id, "to": new_version_id, "recheck": recheck }),
            true,
        )?;
        crate::files::refresh_refs(conn, id)?;
        find(conn, id)?.ok_or(DossierError::NotFound)
    })
}

/// The most recent event of a kind, if any.
pub fn latest_event(conn: &mut AnyConnection, dossier_id: &str, kind: &str) -> Result<Option<Event>> {
    Ok(dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .filter(dossier_events::kind.eq(kind))
        .order((dossier_events::created_at.desc(), dossier_events::id.desc()))
        .select(Event::as_select())
        .first(conn)
        .optional()?)
}
