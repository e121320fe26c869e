//! Agents managed by an administrator from the web (and the CLI): invite by email, add an existing
//! account, change a role, take out of a service, deactivate. Each refuses with a French reason.

use guichet_accounts::{AccountsError, services, users};
use guichet_db::AnyConnection;
use guichet_types::{Email, Role, ServiceRole};

use crate::error::{CaseError, Invalid, Result};

/// What adding an agent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new account, invited by email (a one-time link to choose a password).
    Invited,
    /// An existing account joined the service.
    Joined,
    /// The account filed requests with this service: the administrator confirms first.
    NeedsConfirmation,
}

fn invalid(field: &str, message: impl Into<String>) -> CaseError {
    CaseError::Invalid(vec![Invalid::new(field, message)])
}

fn accounts(e: AccountsError) -> CaseError {
    match e {
        AccountsError::UnknownService(s) => invalid("service", format!("Service inconnu : {s}")),
        AccountsError::InvalidInput(why) => invalid("nom", why),
        other => other.into(),
    }
}

/// The administrator who acts (their name goes into the invitation).
#[derive(Debug, Clone)]
pub struct Admin {
    pub id: String,
    pub name: String,
}

/// Adds the person at `email` to the service with `role`: an existing account joins (a usager becomes an
/// agent; one who filed requests with the service only once `confirmed`); an unknown address gets an
/// account and an invitation. `name` is needed only for an invitation.
#[allow(clippy::too_many_arguments)]
pub fn add(
    conn: &mut AnyConnection,
    admin: &Admin,
    email: &Email,
    name: &str,
    service: &str,
    role: ServiceRole,
    confirmed: bool,
    public_url: &str,
) -> Result<Added> {
    let service_row = services::find_by_code(conn, service)?
        .ok_or_else(|| invalid("service", format!("Service inconnu : {service}")))?;
    match users::find_by_email(conn, email)? {
        Some(user) => {
            if user.deactivated {
                return Err(invalid(
                    "email",
                    "Ce compte est désactivé : réactivez-le d’abord dans la liste des agents",
                ));
            }
            // Separation of duties: someone who filed requests with this service becomes its agent only
            // knowingly; the back office keeps those requests out of their reach.
            if !confirmed
                && guichet_dossiers::instruction::has_filed(
                    conn,
                    &user.id,
                    Some(std::slice::from_ref(&service.to_owned())),
                )?
            {
                return Ok(Added::NeedsConfirmation);
            }
            services::set_role(conn, &user.id, service, role).map_err(accounts)?;
            if user.role == Role::Usager {
                users::set_role(conn, &user.id, Role::Instructeur)?;
            }
            Ok(Added::Joined)
        }
        None => {
            if name.trim().is_empty() {
                return Err(invalid(
                    "nom",
                    "Aucun compte n’a cette adresse : saisissez le nom de l’agent pour l’inviter",
                ));
            }
            let user = users::invite(
                conn,
                email,
                name,
                &admin.name,
                &service_row.name,
                role.label(),
                public_url,
            )
            .map_err(accounts)?;
            services::set_role(conn, &user.id, service, role).map_err(accounts)?;
            Ok(Added::Invited)
        }
    }
}

/// Sends the invitation again (a new link; the old one stops working) to an agent who never chose a
/// password.
pub fn reinvite(
    conn: &mut AnyConnection,
    admin: &Admin,
    user_id: &str,
    service: &str,
    public_url: &str,
) -> Result<()> {
    let user = users::find(conn, user_id)?.ok_or(CaseError::NotFound)?;
    if user.email_verified {
        return Err(CaseError::Refused(
            "Cet agent a déjà choisi son mot de passe : il peut utiliser « Mot de passe oublié » si besoin"
                .into(),
        ));
    }
    let membership = services::memberships_of(conn, user_id)?
        .into_iter()
        .find(|m| m.service.code == service)
        .ok_or(CaseError::NotFound)?;
    Ok(users::reinvite(
        conn,
        user_id,
        &admin.name,
        &membership.service.name,
        membership.role.label(),
        public_url,
    )?)
}

/// Changes the member's role in the service.
pub fn change_role(conn: &mut AnyConnection, user_id: &str, service: &str, role: ServiceRole) -> Result<()> {
    let member = services::memberships_of(conn, user_id)?
        .into_iter()
        .any(|m| m.service.code == service);
    if !member {
        return Err(CaseError::NotFound);
    }
    services::set_role(conn, user_id, service, role).map_err(accounts)
}

/// Takes the member out of the service; the dossiers they held there go back to nobody (one event each).
/// Returns how many dossiers were unassigned.
pub fn remove(conn: &mut AnyConnection, admin: &Admin, user_id: &str, service: &str) -> Result<usize> {
    guichet_db::write_transaction(conn, |conn| {
        let unassigned = guichet_dossiers::instruction::unassign_member(conn, user_id, service, &admin.id)?;
        services::remove_member(conn, user_id, service).map_err(accounts)?;
        Ok::<_, CaseError>(unassigned)
    })
}

/// Deactivates (login refused, sessions ended) or reactivates an account; never one's own.
pub fn set_active(conn: &mut AnyConnection, admin: &Admin, user_id: &str, active: bool) -> Result<()> {
    if user_id == admin.id {
        return Err(CaseError::Refused(
            "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur"
                .into(),
        ));
    }
    users::set_active(conn, user_id, active).map_err(accounts)
}
