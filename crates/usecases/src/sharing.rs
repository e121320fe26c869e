//! Sharing a dossier with the people who act for or with the beneficiary: inviting them by email,
//! accepting an invitation from one's own account, revoking an access. The pages and, later, the API call
//! these; the rule of what each may then see is `guichet_dossiers::access`.

use chrono::NaiveDate;
use guichet_accounts::{User, tokens, users};
use guichet_db::AnyConnection;
use guichet_dossiers::access::Standing;
use guichet_dossiers::sharing::{self, Access, AccessRole, Invitation};
use guichet_dossiers::store::Dossier;
use guichet_forms::FormDefinition;
use guichet_types::Email;

use crate::error::{CaseError, Invalid, Result};
use crate::instruction::Links;

/// An Aidants Connect mandate lasts one day to twelve months (Aidants Connect's conditions of use).
pub const MANDATE_MAX_DAYS: i64 = 366;

/// The invitation form as typed.
#[derive(Debug, Clone, Default)]
pub struct InviteForm {
    pub email: String,
    pub role: String,
    /// An Aidants Connect mandate's reference, for a professional helper.
    pub mandate_reference: String,
    /// The mandate's last day (`AAAA-MM-JJ`, or as typed).
    pub mandate_until: String,
}

/// What a person standing so may do with the dossier's accesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharingRights {
    pub invite: bool,
    /// Revoke the accesses of others (the beneficiary and a legal representative revoke any; the filer
    /// any but theirs).
    pub revoke_any: bool,
}

pub fn rights_of(standing: Standing) -> SharingRights {
    match standing {
        Standing::Owner => SharingRights {
            invite: true,
            revoke_any: false,
        },
        Standing::Shared(AccessRole::Beneficiary | AccessRole::LegalRepresentative) => SharingRights {
            invite: true,
            revoke_any: true,
        },
        _ => SharingRights {
            invite: false,
            revoke_any: false,
        },
    }
}

/// May `by` (standing so) end this access?
pub fn may_revoke(standing: Standing, by: &str, a: &Access) -> bool {
    if a.user_id.as_deref() == Some(by) {
        return true; // anyone may leave
    }
    match standing {
        Standing::Owner => !matches!(
            a.role(),
            AccessRole::Beneficiary | AccessRole::LegalRepresentative
        ),
        s => rights_of(s).revoke_any,
    }
}

/// An Aidants Connect mandate: its reference and last day.
type Mandate = (String, NaiveDate);

fn checked(
    form: &InviteForm,
    inviter: &User,
    today: NaiveDate,
) -> Result<(Email, AccessRole, Option<Mandate>)> {
    let mut errors = Vec::new();
    let email = match Email::parse(&form.email) {
        Ok(e) if e.as_str() == inviter.email.to_lowercase() => {
            errors.push(Invalid::new(
                "acces-email",
                "C’est votre propre adresse : saisissez l’adresse de la personne à inviter",
            ));
            None
        }
        Ok(e) => Some(e),
        Err(guichet_types::EmailError::Empty) => {
            errors.push(Invalid::new(
                "acces-email",
                "Saisissez l’adresse électronique de la personne à inviter",
            ));
            None
        }
        Err(e) => {
            errors.push(Invalid::new("acces-email", e.to_string()));
            None
        }
    };
    let role = AccessRole::parse(&form.role);
    if role.is_none() {
        errors.push(Invalid::new(
            "acces-role",
            "Dites qui est cette personne pour la demande",
        ));
    }
    let mut mandate = None;
    if role == Some(AccessRole::Helper) {
        let reference = form.mandate_reference.trim();
        if reference.is_empty() || reference.chars().count() > 64 {
            errors.push(Invalid::new(
                "acces-mandat",
                "Saisissez la référence du mandat Aidants Connect (64 caractères au plus)",
            ));
        }
        match guichet_forms::parse_date(form.mandate_until.trim()) {
            Ok(d) if d < today => errors.push(Invalid::new(
                "acces-fin",
                "La fin du mandat est passée : un mandat terminé ne donne plus accès",
            )),
            Ok(d) if (d - today).num_days() > MANDATE_MAX_DAYS => errors.push(Invalid::new(
                "acces-fin",
                "Un mandat Aidants Connect dure au plus 12 mois : vérifiez sa date de fin",
            )),
            Ok(d) => mandate = Some((reference.to_owned(), d)),
            Err(_) => errors.push(Invalid::new(
                "acces-fin",
                "Saisissez la date de fin du mandat, par exemple 31 12 2026",
            )),
        }
    }
    match (email, role, errors.is_empty()) {
        (Some(e), Some(r), true) => Ok((e, r, mandate)),
        _ => Err(CaseError::Invalid(errors)),
    }
}

/// Invites a person to follow the dossier from their own account: the access is recorded (an event),
/// the link emailed. Nothing is written when the form is refused.
#[allow(clippy::too_many_arguments)]
pub fn invite(
    conn: &mut AnyConnection,
    links: &Links,
    standing: Standing,
    d: &Dossier,
    def: &FormDefinition,
    inviter: &User,
    form: &InviteForm,
    today: NaiveDate,
) -> Result<Access> {
    if !rights_of(standing).invite {
        return Err(CaseError::Denied(
            "Seuls la personne concernée, son représentant légal et la personne qui a fait la demande peuvent donner accès à ce dossier.",
        ));
    }
    let (email, role, mandate) = checked(form, inviter, today)?;
    if users::find(conn, &d.owner_id)?.is_some_and(|o| o.email.eq_ignore_ascii_case(email.as_str())) {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "acces-email",
            "Cette personne a fait la demande : elle y a déjà accès",
        )]));
    }
    let token = tokens::random_token();
    let digest = tokens::digest(&token);
    guichet_db::write_transaction(conn, |c| {
        let access = sharing::invite(
            c,
            &Invitation {
                dossier_id: &d.id,
                role,
                email: email.as_str(),
                invited_by: &inviter.id,
                token_hash: &digest,
                mandate_reference: mandate.as_ref().map(|(r, _)| r.as_str()),
                mandate_until: mandate.as_ref().map(|(_, d)| *d),
            },
        )?;
        guichet_db::outbox::enqueue(
            c,
            &guichet_notify::emails::dossier_shared(
                email.as_str(),
                &inviter.display_name,
                def.title(),
                &d.applicant_name,
                role.label(),
                &format!("{}/invitations/{token}", links.public_url),
            ),
        )?;
        Ok::<_, CaseError>(access)
    })
}

/// The open invitation a link carries, to show before it is accepted.
pub fn invitation(conn: &mut AnyConnection, token: &str) -> Result<Access> {
    sharing::find_invitation(conn, &tokens::digest(token))?.ok_or(CaseError::Refused(
        "Ce lien d’invitation n’est plus valable : il a déjà servi, ou l’accès a été retiré. Demandez à la personne qui vous a invité de vous inviter à nouveau.".into(),
    ))
}

/// Accepts an invitation for the logged-in account; returns the dossier's id. The account must be the
/// one of the address invited: a forwarded link opens nothing.
pub fn accept(conn: &mut AnyConnection, token: &str, user: &User) -> Result<String> {
    let access = invitation(conn, token)?;
    if let Some(holder) = &access.user_id {
        return if *holder == user.id {
            Ok(access.dossier_id)
        } else {
            Err(CaseError::Refused("Cette invitation a déjà été acceptée.".into()))
        };
    }
    if !user.email.eq_ignore_ascii_case(&access.email) {
        return Err(CaseError::Refused(format!(
            "Cette invitation a été envoyée à {}. Connectez-vous avec le compte de cette adresse (ou créez-le), puis ouvrez à nouveau le lien.",
            access.email
        )));
    }
    if guichet_dossiers::store::find(conn, &access.dossier_id)?.is_some_and(|d| d.owner_id == user.id) {
        return Err(CaseError::Refused(
            "Vous avez fait cette demande : vous y avez déjà accès.".into(),
        ));
    }
    guichet_db::write_transaction(conn, |c| sharing::accept(c, &access, &user.id))?;
    Ok(access.dossier_id)
}

/// Ends an access of the dossier (an event); the person no longer sees it.
pub fn revoke(
    conn: &mut AnyConnection,
    standing: Standing,
    d: &Dossier,
    access_id: &str,
    by: &str,
) -> Result<Access> {
    let a = sharing::find(conn, access_id)?
        .filter(|a| a.dossier_id == d.id)
        .ok_or(CaseError::NotFound)?;
    if !may_revoke(standing, by, &a) {
        return Err(CaseError::Denied(
            "Seule la personne concernée par la demande (ou son représentant légal) peut retirer cet accès.",
        ));
    }
    guichet_db::write_transaction(conn, |c| sharing::revoke(c, &a, by))?;
    Ok(a)
}

/// A dossier in « Mes dossiers », with why the person sees it.
#[derive(Debug, Clone)]
pub struct Followed {
    pub dossier: Dossier,
    /// The person filed it (else it was shared with them, as `role`).
    pub own: bool,
    pub role: Option<AccessRole>,
}

/// The dossiers a person follows: those they filed, then those shared with them (active accesses).
pub fn followed(conn: &mut AnyConnection, user_id: &str, today: NaiveDate) -> Result<Vec<Followed>> {
    let mut out: Vec<Followed> = guichet_dossiers::store::list_for_owner(conn, user_id)?
        .into_iter()
        .map(|dossier| Followed {
            dossier,
            own: true,
            role: None,
        })
        .collect();
    for a in sharing::of_user(conn, user_id)?
        .into_iter()
        .filter(|a| a.is_active(today))
    {
        if let Some(dossier) = guichet_dossiers::store::find(conn, &a.dossier_id)? {
            out.push(Followed {
                dossier,
                own: false,
                role: Some(a.role()),
            });
        }
    }
    Ok(out)
}

/// The instructor records that a legal representative's judgment (joined to the request) was checked:
/// from then on the dossier's emails reach the representative too.
pub fn check_judgment(
    conn: &mut AnyConnection,
    staff: &crate::instruction::Staff,
    dossier_id: &str,
    access_id: &str,
) -> Result<()> {
    let (d, _) = crate::instruction::acting(conn, staff, dossier_id, crate::instruction::Need::Act)?;
    let a = sharing::find(conn, access_id)?
        .filter(|a| a.dossier_id == d.id && a.role() == AccessRole::LegalRepresentative)
        .ok_or(CaseError::NotFound)?;
    if a.judgment_checked_at.is_some() {
        return Ok(());
    }
    guichet_db::write_transaction(conn, |c| sharing::check_judgment(c, &a, staff.id()))?;
    Ok(())
}

/// The dossier's accesses, each with the name of the account that accepted it (none while invited).
pub fn with_names(conn: &mut AnyConnection, dossier_id: &str) -> Result<Vec<(Access, Option<String>)>> {
    let mut out = Vec::new();
    for a in sharing::for_dossier(conn, dossier_id)? {
        let name = match &a.user_id {
            Some(u) => users::find(conn, u)?.map(|u| u.display_name),
            None => None,
        };
        out.push((a, name));
    }
    Ok(out)
}

/// « Mandat Aidants Connect AC-2026-0042, jusqu’au 31 décembre 2026 », for a helper’s access.
pub fn mandate_words(a: &Access) -> Option<String> {
    let reference = a.mandate_reference.as_ref()?;
    let until = a
        .mandate_until
        .map(|d| format!(", jusqu’au {}", guichet_forms::french_date(d)))
        .unwrap_or_default();
    Some(format!("Mandat Aidants Connect {reference}{until}"))
}
