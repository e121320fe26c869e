//! Who may see what of a dossier. Every route that shows a dossier or a part of it (HTML page, receipt
//! and decision PDFs, files, message attachments, exports, the API) asks here; none re-implements the
//! rule. Health data (answers and documents flagged `sensitive`, and the correspondence of a procedure
//! that holds health data) goes only to the usager and to members of the service that instructs the
//! dossier: administrators outside that service included, nobody else (CASF L146-3 and R146-38: the MDPH
//! team's professional secrecy; RGPD art. 9). Every read of it by staff is traced and listed to the usager.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::AnyConnection;
use guichet_db::schema::dossier_events;
use guichet_types::ServiceRole;
use serde_json::json;

use crate::store::{Dossier, Result, insert_event};

/// Someone looking at a dossier, as the session knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: String,
    /// Instructor or administrator (may use the back office).
    pub is_staff: bool,
    pub is_admin: bool,
    /// Codes of the services whose dossiers the person may open (every membership but `expert`).
    pub services: Vec<String>,
    /// The role held in each service the person is a member of (experts included).
    pub roles: Vec<(String, ServiceRole)>,
    /// Folded names of the beneficiaries the person must not instruct: their own, and the relatives they
    /// declared (see [`declared_relatives`]).
    pub conflicts: Vec<String>,
}

/// How a viewer stands to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The usager who filed it.
    Owner,
    /// A person the dossier was shared with (the beneficiary, a parent, a representative, a helper, a
    /// relative), for as long as the access lasts.
    Shared(crate::sharing::AccessRole),
    /// A member of the service that instructs it.
    Service,
    /// An administrator outside that service: sees the dossier, never its health data.
    Outsider,
}

/// Why the back office refuses a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Outside the viewer's services: the dossier does not exist for them (404, ids reveal nothing).
    NotVisible,
    /// The viewer filed it (for themself or someone else): a colleague instructs it (403).
    OwnDossier,
    /// It is for the viewer or a relative they declared: a colleague instructs it (403).
    Relative,
}

impl Viewer {
    fn member_of(&self, service: &str) -> bool {
        self.services.iter().any(|s| s == service)
    }

    /// The role held in the service, if a member.
    pub fn role_in(&self, service: &str) -> Option<ServiceRole> {
        self.roles.iter().find(|(s, _)| s == service).map(|(_, r)| *r)
    }

    /// May act on the service's dossiers (take, note, message, review, evaluate…). An administrator
    /// outside the service acts as today (reopen, close); inside, the role counts.
    pub fn may_act(&self, service: &str) -> bool {
        match self.role_in(service) {
            Some(role) => role.acts(),
            None => self.is_admin,
        }
    }

    /// May decide a right, close a dossier or set a CDAPH agenda for the service.
    pub fn may_decide(&self, service: &str) -> bool {
        match self.role_in(service) {
            Some(role) => role.decides(),
            None => self.is_admin,
        }
    }

    /// An expert of the service: sees only the opinion requests addressed to them.
    pub fn is_expert_of(&self, service: &str) -> bool {
        self.role_in(service) == Some(ServiceRole::Expert)
    }
}

/// How a member of staff may open a dossier in the back office. Separation of duties: staff never see,
/// act on, assign or decide a dossier they filed, whatever their role.
pub fn back_office(viewer: &Viewer, d: &Dossier) -> std::result::Result<Standing, Refusal> {
    if !viewer.is_staff {
        return Err(Refusal::NotVisible);
    }
    let standing = if viewer.member_of(&d.service_code) {
        Standing::Service
    } else if viewer.is_admin {
        Standing::Outsider
    } else {
        return Err(Refusal::NotVisible);
    };
    if d.owner_id == viewer.user_id {
        return Err(Refusal::OwnDossier);
    }
    if viewer.conflicts_with(&d.applicant_name) {
        return Err(Refusal::Relative);
    }
    Ok(standing)
}

impl Viewer {
    /// True when the beneficiary is the viewer or a relative they declared (by name: an homonym's
    /// request also goes to a colleague, which costs nothing but a hand-over).
    pub fn conflicts_with(&self, applicant_name: &str) -> bool {
        let name = person_key(applicant_name);
        !name.is_empty() && self.conflicts.contains(&name)
    }
}

/// A person's name as compared for conflicts: folded (case, accents) and with hyphens and apostrophes
/// read as spaces, so « Jeanne-Marie DURAND » and « jeanne marie durand » are one person.
pub fn person_key(name: &str) -> String {
    crate::store::fold(&name.replace(['-', '\'', '’'], " "))
}

/// A relative declared by a member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relative {
    pub folded_name: String,
    pub label: String,
}

/// The relatives a member of staff declared, by name.
pub fn declared_relatives(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Relative>> {
    use guichet_db::schema::staff_relatives as r;
    Ok(r::table
        .filter(r::user_id.eq(user_id))
        .order(r::label.asc())
        .select((r::folded_name, r::label))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(folded_name, label)| Relative { folded_name, label })
        .collect())
}

/// Declares a relative (idempotent); the name as the person typed it is kept for display.
pub fn declare_relative(conn: &mut AnyConnection, user_id: &str, name: &str) -> Result<()> {
    use guichet_db::schema::staff_relatives as r;
    let folded = person_key(name);
    if folded.is_empty() {
        return Ok(());
    }
    guichet_db::write_transaction(conn, |conn| {
        let exists: i64 = r::table
            .filter(r::user_id.eq(user_id))
            .filter(r::folded_name.eq(&folded))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            diesel::insert_into(r::table)
                .values((
                    r::user_id.eq(user_id),
                    r::folded_name.eq(&folded),
                    r::label.eq(name.trim()),
                    r::created_at.eq(guichet_db::now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Withdraws a declared relative.
pub fn withdraw_relative(conn: &mut AnyConnection, user_id: &str, folded_name: &str) -> Result<()> {
    use guichet_db::schema::staff_relatives as r;
    diesel::delete(
        r::table
            .filter(r::user_id.eq(user_id))
            .filter(r::folded_name.eq(folded_name)),
    )
    .execute(conn)?;
    Ok(())
}

/// How a viewer may open a dossier on the usager's side: its owner, or a person it is shared with
/// (`grant`: the viewer's active access to this dossier, [`crate::sharing::grant`]).
pub fn usager_side(
    viewer: &Viewer,
    d: &Dossier,
    grant: Option<&crate::sharing::Access>,
) -> std::result::Result<Standing, Refusal> {
    if d.owner_id == viewer.user_id {
        return Ok(Standing::Owner);
    }
    match grant {
        Some(a)
            if a.dossier_id == d.id
                && a.user_id.as_deref() == Some(viewer.user_id.as_str())
                && a.is_active(guichet_db::now().date()) =>
        {
            Ok(Standing::Shared(a.role()))
        }
        _ => Err(Refusal::NotVisible),
    }
}

/// Only the account that filed the dossier changes it (answers, deposit, withdrawal); the people it is
/// shared with follow it.
pub fn may_change(standing: Standing) -> bool {
    standing == Standing::Owner
}

/// The rule: may someone of this standing see the dossier's health data?
pub fn may_see_sensitive(standing: Standing) -> bool {
    match standing {
        Standing::Owner | Standing::Service => true,
        Standing::Shared(role) => role.sees_health_data(),
        Standing::Outsider => false,
    }
}

/// May someone of this standing see the NIR in full? Only the service, which checks it with the
/// social-security bodies; the usager typed it and sees it in full while filing, masked in documents.
pub fn may_see_full_nir(standing: Standing) -> bool {
    standing == Standing::Service
}

/// A piece of health data that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SensitiveRead {
    /// The dossier page with its health answers.
    Page,
    /// The deposit receipt PDF with the health answers.
    Receipt,
    /// A document of a field flagged sensitive.
    File { name: String },
    /// A file attached to a message of a procedure holding health data.
    Attachment { name: String },
    /// The decision letter of a procedure holding health data.
    Decision,
    /// The APA home evaluation: the AGGIR grid and the GIR.
    Evaluation,
}

impl SensitiveRead {
    fn payload(&self) -> serde_json::Value {
        match self {
            SensitiveRead::Page => json!({ "item": "page" }),
            SensitiveRead::Receipt => json!({ "item": "recepisse" }),
            SensitiveRead::File { name } => json!({ "item": "fichier", "name": name }),
            SensitiveRead::Attachment { name } => json!({ "item": "piece_jointe", "name": name }),
            SensitiveRead::Decision => json!({ "item": "decision" }),
            SensitiveRead::Evaluation => json!({ "item": "evaluation" }),
        }
    }

    /// What the usager reads in « Qui a consulté vos données de santé ».
    pub fn describe(payload: &str) -> String {
        let p: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
        let name = p.get("name").and_then(serde_json::Value::as_str).unwrap_or("");
        match p.get("item").and_then(serde_json::Value::as_str) {
            Some("recepisse") => "le récépissé de votre demande".to_owned(),
            Some("fichier") => format!("le document « {name} »"),
            Some("piece_jointe") => format!("la pièce jointe « {name} »"),
            Some("decision") => "la lettre de décision".to_owned(),
            Some("evaluation") => "l’évaluation de votre autonomie (grille AGGIR)".to_owned(),
            _ => "votre dossier".to_owned(),
        }
    }
}

/// Traces a read of health data by staff or by a person the dossier is shared with (the filer's and the
/// beneficiary's own reads are not traced: it is their data).
/// One event per reader, item and day: reloading a page after each action does not flood the usager's
/// list, and each distinct thing read stays visible.
pub fn trace_read(
    conn: &mut AnyConnection,
    d: &Dossier,
    viewer: &Viewer,
    standing: Standing,
    item: &SensitiveRead,
) -> Result<()> {
    let own = matches!(
        standing,
        Standing::Owner | Standing::Shared(crate::sharing::AccessRole::Beneficiary)
    );
    if own || !may_see_sensitive(standing) {
        return Ok(());
    }
    let payload = item.payload();
    let t = guichet_db::now();
    let day_start = t.date().and_hms_opt(0, 0, 0).unwrap_or(t);
    let already: i64 = dossier_events::table
        .filter(dossier_events::dossier_id.eq(&d.id))
        .filter(dossier_events::kind.eq(READ_KIND))
        .filter(dossier_events::actor_id.eq(&viewer.user_id))
        .filter(dossier_events::created_at.ge(day_start))
        .filter(dossier_events::payload.eq(payload.to_string()))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Ok(());
    }
    insert_event(
        conn,
        &d.id,
        Some(&viewer.user_id),
        READ_KIND,
        None,
        None,
        &payload,
        true,
    )
}

/// A read of health data by an expert without an account (through a one-time link), named by `label`;
/// the usager sees it in their list of reads like any other.
pub fn trace_external_read(
    conn: &mut AnyConnection,
    d: &Dossier,
    label: &str,
    item: &SensitiveRead,
) -> Result<()> {
    crate::store::insert_event_as(conn, &d.id, label, READ_KIND, &item.payload(), true)
}

/// The event kind of a traced read.
pub const READ_KIND: &str = "sensitive_read";

/// A traced read, for the usager's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedRead {
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    /// Who read, as they were named when they read.
    pub actor_label: String,
    /// What was read, in French.
    pub what: String,
}

/// Every traced read of the dossier's health data, oldest first.
pub fn traced_reads(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<TracedRead>> {
    let rows: Vec<(Option<String>, String, String, NaiveDateTime)> = dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .filter(dossier_events::kind.eq(READ_KIND))
        .order((dossier_events::created_at.asc(), dossier_events::id.asc()))
        .select((
            dossier_events::actor_id,
            dossier_events::actor_label,
            dossier_events::payload,
            dossier_events::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(actor_id, actor_label, payload, at)| TracedRead {
            at,
            actor_id,
            actor_label,
            what: SensitiveRead::describe(&payload),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::State;

    fn dossier(owner: &str, service: &str) -> Dossier {
        let t = guichet_db::now();
        Dossier {
            id: "d".into(),
            number: None,
            procedure: service.into(),
            service_code: service.into(),
            form_version_id: "v".into(),
            owner_id: owner.into(),
            state: State::Depose,
            complement_demande: false,
            answers: serde_json::Value::Null,
            pending_answers: None,
            current_step: None,
            applicant_name: String::new(),
            deposited_at: None,
            due_at: None,
            clock_paused_at: None,
            assigned_to: None,
            decided_at: None,
            closing_reason: None,
            complement_recu: false,
            stage: None,
            complete_at: None,
            implicit_at: None,
            lock_version: 0,
            created_at: t,
            updated_at: t,
        }
    }

    fn viewer(id: &str, staff: bool, admin: bool, services: &[&str]) -> Viewer {
        Viewer {
            user_id: id.into(),
            is_staff: staff,
            is_admin: admin,
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            roles: services
                .iter()
                .map(|s| ((*s).to_owned(), ServiceRole::Instructeur))
                .collect(),
            conflicts: vec!["jeanne durand".into()],
        }
    }

    #[test]
    fn a_reader_opens_but_never_acts_and_an_evaluator_never_decides() {
        let mut v = viewer("l", true, false, &["mdph"]);
        v.roles = vec![("mdph".into(), ServiceRole::Lecteur)];
        assert_eq!(back_office(&v, &dossier("usager", "mdph")), Ok(Standing::Service));
        assert!(!v.may_act("mdph") && !v.may_decide("mdph"));
        v.roles = vec![("mdph".into(), ServiceRole::Evaluateur)];
        assert!(v.may_act("mdph") && !v.may_decide("mdph"));
        v.roles = vec![("mdph".into(), ServiceRole::Instructeur)];
        assert!(v.may_act("mdph") && v.may_decide("mdph"));
        // An expert is not given the service's dossiers: `services` leaves it out.
        let mut e = viewer("e", true, false, &[]);
        e.roles = vec![("mdph".into(), ServiceRole::Expert)];
        assert!(e.is_expert_of("mdph") && !e.may_act("mdph"));
        assert_eq!(
            back_office(&e, &dossier("usager", "mdph")),
            Err(Refusal::NotVisible)
        );
    }

    #[test]
    fn health_data_goes_to_the_owner_and_the_service_only() {
        let d = dossier("usager", "mdph");
        let member = viewer("i", true, false, &["mdph"]);
        let admin_elsewhere = viewer("a", true, true, &["apa"]);
        let admin_member = viewer("a2", true, true, &["mdph"]);
        let other_instructor = viewer("i2", true, false, &["apa"]);
        assert_eq!(back_office(&member, &d), Ok(Standing::Service));
        assert_eq!(back_office(&admin_member, &d), Ok(Standing::Service));
        assert_eq!(back_office(&admin_elsewhere, &d), Ok(Standing::Outsider));
        assert_eq!(back_office(&other_instructor, &d), Err(Refusal::NotVisible));
        assert!(!may_see_sensitive(Standing::Outsider));
        assert!(may_see_sensitive(Standing::Service) && may_see_sensitive(Standing::Owner));
        assert!(may_see_full_nir(Standing::Service));
        assert!(!may_see_full_nir(Standing::Outsider) && !may_see_full_nir(Standing::Owner));
        let usager = viewer("usager", false, false, &[]);
        assert_eq!(usager_side(&usager, &d, None), Ok(Standing::Owner));
        assert_eq!(back_office(&usager, &d), Err(Refusal::NotVisible));
        assert_eq!(usager_side(&member, &d, None), Err(Refusal::NotVisible));
    }

    #[test]
    fn staff_never_open_their_own_dossier_in_the_back_office() {
        let d = dossier("i", "apa");
        assert_eq!(
            back_office(&viewer("i", true, false, &["apa"]), &d),
            Err(Refusal::OwnDossier)
        );
        assert_eq!(
            back_office(&viewer("i", true, true, &[]), &d),
            Err(Refusal::OwnDossier)
        );
        assert_eq!(
            usager_side(&viewer("i", true, false, &["apa"]), &d, None),
            Ok(Standing::Owner)
        );
    }

    fn access(d: &Dossier, user: &str, role: crate::sharing::AccessRole) -> crate::sharing::Access {
        crate::sharing::Access {
            id: "acc".into(),
            dossier_id: d.id.clone(),
            role: crate::sharing::RoleColumn(role),
            email: format!("{user}@exemple.fr"),
            user_id: Some(user.into()),
            invited_by: d.owner_id.clone(),
            invited_at: guichet_db::now(),
            accepted_at: Some(guichet_db::now()),
            revoked_at: None,
            mandate_reference: None,
            mandate_until: None,
            judgment_checked_at: None,
        }
    }

    #[test]
    fn a_shared_dossier_is_seen_by_its_people_and_health_data_by_those_who_act_for_the_beneficiary() {
        use crate::sharing::AccessRole;
        let d = dossier("fille", "apa");
        let mother = viewer("mere", false, false, &[]);
        let brother = viewer("frere", false, false, &[]);
        let given = access(&d, "mere", AccessRole::Beneficiary);
        assert_eq!(
            usager_side(&mother, &d, Some(&given)),
            Ok(Standing::Shared(AccessRole::Beneficiary))
        );
        // Someone else's access opens nothing, nor an access to another dossier.
        assert_eq!(usager_side(&brother, &d, Some(&given)), Err(Refusal::NotVisible));
        let mut elsewhere = access(&d, "mere", AccessRole::Beneficiary);
        elsewhere.dossier_id = "autre".into();
        assert_eq!(
            usager_side(&mother, &d, Some(&elsewhere)),
            Err(Refusal::NotVisible)
        );
        // Revoked, or a mandate past its last day: no access.
        let mut revoked = access(&d, "frere", AccessRole::Relative);
        revoked.revoked_at = Some(guichet_db::now());
        assert_eq!(
            usager_side(&brother, &d, Some(&revoked)),
            Err(Refusal::NotVisible)
        );
        let mut ended = access(&d, "frere", AccessRole::Helper);
        ended.mandate_until = Some(guichet_db::now().date() - chrono::Duration::days(1));
        assert_eq!(usager_side(&brother, &d, Some(&ended)), Err(Refusal::NotVisible));
        // A relative follows the progress, never the health data; nobody but the filer changes it.
        assert!(!may_see_sensitive(Standing::Shared(AccessRole::Relative)));
        for role in [
            AccessRole::Beneficiary,
            AccessRole::Parent,
            AccessRole::LegalRepresentative,
            AccessRole::Helper,
        ] {
            assert!(may_see_sensitive(Standing::Shared(role)), "{role:?}");
            assert!(!may_change(Standing::Shared(role)), "{role:?}");
        }
        assert!(may_change(Standing::Owner));
    }
}
