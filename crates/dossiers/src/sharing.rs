//! People with access to a dossier besides the account that filed it: the beneficiary, a parent of a
//! child, a legal representative, a France Services agent under an Aidants Connect mandate, a relative kept
//! informed. Invited by email, joined to an account when accepted, revoked by the beneficiary (or the
//! filer); every step is a dossier event. What each may see is [`crate::access`]'s rule.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::dossier_access as da;
use guichet_db::{AnyConnection, new_id, now};
use serde_json::json;

use crate::store::{DossierError, Result, insert_event};

/// Why a person has access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessRole {
    /// The person the dossier is for, with their own account.
    Beneficiary,
    /// A parent (or holder of parental authority) of a child beneficiary: both parents see the request.
    Parent,
    /// Tuteur, curateur, person under a habilitation familiale: the judgment is checked by the instructor.
    LegalRepresentative,
    /// A France Services agent (or another professional) under an Aidants Connect mandate: dated, limited.
    Helper,
    /// A relative kept informed of progress: never the health data.
    Relative,
}

impl AccessRole {
    pub const ALL: [AccessRole; 5] = [
        AccessRole::Beneficiary,
        AccessRole::Parent,
        AccessRole::LegalRepresentative,
        AccessRole::Helper,
        AccessRole::Relative,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AccessRole::Beneficiary => "beneficiaire",
            AccessRole::Parent => "parent",
            AccessRole::LegalRepresentative => "representant_legal",
            AccessRole::Helper => "aidant",
            AccessRole::Relative => "proche",
        }
    }

    pub fn parse(s: &str) -> Option<AccessRole> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// As a choice of the invitation form.
    pub const fn choice_label(self) -> &'static str {
        match self {
            AccessRole::Beneficiary => "La personne concernée par la demande",
            AccessRole::Parent => "L’autre parent de l’enfant",
            AccessRole::LegalRepresentative => {
                "Son représentant légal (tutelle, curatelle, habilitation familiale)"
            }
            AccessRole::Helper => "Un aidant professionnel, avec un mandat Aidants Connect",
            AccessRole::Relative => "Un proche, tenu informé de l’avancement",
        }
    }

    /// In words, for the pages and the emails.
    pub const fn label(self) -> &'static str {
        match self {
            AccessRole::Beneficiary => "la personne concernée par la demande",
            AccessRole::Parent => "parent de l’enfant",
            AccessRole::LegalRepresentative => {
                "représentant légal (tutelle, curatelle, habilitation familiale)"
            }
            AccessRole::Helper => "aidant professionnel (mandat Aidants Connect)",
            AccessRole::Relative => "proche tenu informé",
        }
    }

    /// Health data go to the person concerned and to those who act for them (CASF L146-3, RGPD art. 9): a
    /// relative kept informed sees the progress, not the answers about health nor the documents.
    pub const fn sees_health_data(self) -> bool {
        !matches!(self, AccessRole::Relative)
    }

    /// Emails and letters go to this person as well (a relative only follows the progress).
    pub const fn is_addressed(self) -> bool {
        !matches!(self, AccessRole::Relative)
    }
}

/// One access, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = da)]
pub struct Access {
    pub id: String,
    pub dossier_id: String,
    #[diesel(deserialize_as = String)]
    pub role: RoleColumn,
    pub email: String,
    pub user_id: Option<String>,
    pub invited_by: String,
    pub invited_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub mandate_reference: Option<String>,
    pub mandate_until: Option<NaiveDate>,
    pub judgment_checked_at: Option<NaiveDateTime>,
}

/// The role column, read once: an unknown value (a later version's) counts as a relative, the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleColumn(pub AccessRole);

impl From<String> for RoleColumn {
    fn from(s: String) -> Self {
        RoleColumn(AccessRole::parse(&s).unwrap_or(AccessRole::Relative))
    }
}

impl Access {
    pub fn role(&self) -> AccessRole {
        self.role.0
    }

    /// Where the access stands on `today`.
    pub fn status(&self, today: NaiveDate) -> AccessStatus {
        if self.revoked_at.is_some() {
            AccessStatus::Revoked
        } else if self.mandate_until.is_some_and(|d| d < today) {
            AccessStatus::Expired
        } else if self.user_id.is_none() {
            AccessStatus::Invited
        } else {
            AccessStatus::Active
        }
    }

    pub fn is_active(&self, today: NaiveDate) -> bool {
        self.status(today) == AccessStatus::Active
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessStatus {
    /// Invited, not accepted yet.
    Invited,
    Active,
    /// Revoked by the beneficiary or the filer.
    Revoked,
    /// A mandate past its last day.
    Expired,
}

impl AccessStatus {
    pub const fn label(self) -> &'static str {
        match self {
            AccessStatus::Invited => "Invitation envoyée",
            AccessStatus::Active => "A accès",
            AccessStatus::Revoked => "Accès retiré",
            AccessStatus::Expired => "Mandat terminé",
        }
    }
}

/// An invitation to record.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    pub dossier_id: &'a str,
    pub role: AccessRole,
    pub email: &'a str,
    /// Who invites (an account with access to the dossier).
    pub invited_by: &'a str,
    /// The digest of the emailed link.
    pub token_hash: &'a str,
    pub mandate_reference: Option<&'a str>,
    pub mandate_until: Option<NaiveDate>,
}

/// Records an invitation and its event (`access_invited`). A pending or active access of the same email
/// is refused: one person, one access per dossier.
pub fn invite(conn: &mut AnyConnection, inv: &Invitation<'_>) -> Result<Access> {
    let today = now().date();
    let email = inv.email.trim().to_lowercase();
    let taken = for_dossier(conn, inv.dossier_id)?
        .into_iter()
        .any(|a| a.email == email && matches!(a.status(today), AccessStatus::Invited | AccessStatus::Active));
    if taken {
        return Err(DossierError::Refused(
            "Cette personne a déjà accès à ce dossier, ou une invitation lui a déjà été envoyée.".into(),
        ));
    }
    let id = new_id();
    diesel::insert_into(da::table)
        .values((
            da::id.eq(&id),
            da::dossier_id.eq(inv.dossier_id),
            da::role.eq(inv.role.as_str()),
            da::email.eq(&email),
            da::token_hash.eq(inv.token_hash),
            da::invited_by.eq(inv.invited_by),
            da::invited_at.eq(now()),
            da::mandate_reference.eq(inv.mandate_reference),
            da::mandate_until.eq(inv.mandate_until),
        ))
        .execute(conn)?;
    insert_event(
        conn,
        inv.dossier_id,
        Some(inv.invited_by),
        "access_invited",
        None,
        None,
        &json!({
            "access": id,
            "role": inv.role.as_str(),
            "email": email,
            "mandate_reference": inv.mandate_reference,
            "mandate_until": inv.mandate_until,
        }),
        true,
    )?;
    find(conn, &id)?.ok_or(DossierError::NotFound)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Access>> {
    Ok(da::table
        .filter(da::id.eq(id))
        .select(Access::as_select())
        .first(conn)
        .optional()?)
}

/// The invitation a link carries, if it is still open (not accepted, not revoked).
pub fn find_invitation(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<Access>> {
    Ok(da::table
        .filter(da::token_hash.eq(token_hash))
        .filter(da::revoked_at.is_null())
        .select(Access::as_select())
        .first(conn)
        .optional()?)
}

/// Every access of a dossier, in the order they were given.
pub fn for_dossier(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<Access>> {
    Ok(da::table
        .filter(da::dossier_id.eq(dossier_id))
        .order(da::invited_at.asc())
        .select(Access::as_select())
        .load(conn)?)
}

/// The accesses a person holds (accepted; revoked and expired ones included: callers filter by status).
pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Access>> {
    Ok(da::table
        .filter(da::user_id.eq(user_id))
        .order(da::invited_at.asc())
        .select(Access::as_select())
        .load(conn)?)
}

/// The person's active access to one dossier, if any.
pub fn grant(conn: &mut AnyConnection, dossier_id: &str, user_id: &str) -> Result<Option<Access>> {
    let today = now().date();
    Ok(da::table
        .filter(da::dossier_id.eq(dossier_id))
        .filter(da::user_id.eq(user_id))
        .filter(da::revoked_at.is_null())
        .select(Access::as_select())
        .load(conn)?
        .into_iter()
        .find(|a| a.is_active(today)))
}

/// Joins an invitation to the account that opened its link (`access_granted`); the link is spent.
pub fn accept(conn: &mut AnyConnection, access: &Access, user_id: &str) -> Result<()> {
    let changed = diesel::update(da::table)
        .filter(da::id.eq(&access.id))
        .filter(da::user_id.is_null())
        .filter(da::revoked_at.is_null())
        .set((
            da::user_id.eq(user_id),
            da::accepted_at.eq(now()),
            da::token_hash.eq(None::<String>),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(DossierError::Refused(
            "Cette invitation a déjà été utilisée ou retirée.".into(),
        ));
    }
    insert_event(
        conn,
        &access.dossier_id,
        Some(user_id),
        "access_granted",
        None,
        None,
        &json!({ "access": access.id, "role": access.role().as_str() }),
        true,
    )
}

/// Ends an access (`access_revoked`); the person no longer sees the dossier from the next request on.
pub fn revoke(conn: &mut AnyConnection, access: &Access, by: &str) -> Result<()> {
    let changed = diesel::update(da::table)
        .filter(da::id.eq(&access.id))
        .filter(da::revoked_at.is_null())
        .set((
            da::revoked_at.eq(now()),
            da::revoked_by.eq(by),
            da::token_hash.eq(None::<String>),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Ok(());
    }
    insert_event(
        conn,
        &access.dossier_id,
        Some(by),
        "access_revoked",
        None,
        None,
        &json!({ "access": access.id, "role": access.role().as_str(), "email": access.email }),
        true,
    )
}

/// The instructor has checked a legal representative's judgment (`representative_checked`).
pub fn check_judgment(conn: &mut AnyConnection, access: &Access, by: &str) -> Result<()> {
    diesel::update(da::table)
        .filter(da::id.eq(&access.id))
        .set((da::judgment_checked_at.eq(now()), da::judgment_checked_by.eq(by)))
        .execute(conn)?;
    insert_event(
        conn,
        &access.dossier_id,
        Some(by),
        "representative_checked",
        None,
        None,
        &json!({ "access": access.id }),
        true,
    )
}

/// The addresses a dossier's emails are copied to: the people with an active access who act for the
/// beneficiary (a relative kept informed follows the progress on the site only; a legal representative
/// once the service has checked the judgment).
pub fn copies(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<String>> {
    let today = now().date();
    let mut out: Vec<String> = Vec::new();
    for a in for_dossier(conn, dossier_id)? {
        // A representative is written to once the service has checked the judgment naming them.
        let checked = a.role() != AccessRole::LegalRepresentative || a.judgment_checked_at.is_some();
        if a.is_active(today) && a.role().is_addressed() && checked && !out.contains(&a.email) {
            out.push(a.email);
        }
    }
    Ok(out)
}

/// Queues a dossier's email to its recipient (the filer) and a copy to each person acting for the
/// beneficiary, in the same transaction as the event that caused it.
pub fn enqueue(
    conn: &mut AnyConnection,
    dossier_id: &str,
    email: &guichet_db::outbox::NewEmail,
) -> Result<()> {
    guichet_db::outbox::enqueue(conn, email)?;
    for to in copies(conn, dossier_id)? {
        if to.eq_ignore_ascii_case(&email.recipient) {
            continue;
        }
        let mut copy = email.clone();
        copy.recipient = to;
        guichet_db::outbox::enqueue(conn, &copy)?;
    }
    Ok(())
}
