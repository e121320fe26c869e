//! Services (the département's teams: MDPH, APA, Améthyste…) and their members.

use diesel::prelude::*;
use guichet_db::schema::{memberships, services, users};
use guichet_db::{AnyConnection, new_id, now};
use guichet_types::ServiceRole;

use crate::{AccountsError, Result, User};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = services)]
pub struct Service {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// Service codes are short lower-case slugs used in URLs and in form definitions (`service = "apa"`).
pub fn parse_code(code: &str) -> Result<String> {
    let c = code.trim().to_lowercase();
    let ok = (2..=32).contains(&c.len())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if ok {
        Ok(c)
    } else {
        Err(AccountsError::InvalidInput(
            "Le code du service contient de 2 à 32 lettres minuscules, chiffres ou tirets".into(),
        ))
    }
}

pub fn create(conn: &mut AnyConnection, code: &str, name: &str) -> Result<Service> {
    let code = parse_code(code)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AccountsError::InvalidInput(
            "Saisissez le nom du service (200 caractères au maximum)".into(),
        ));
    }
    if find_by_code(conn, &code)?.is_some() {
        return Err(AccountsError::ServiceExists(code));
    }
    let service = Service {
        id: new_id(),
        code,
        name: name.to_owned(),
    };
    diesel::insert_into(services::table)
        .values((
            services::id.eq(&service.id),
            services::code.eq(&service.code),
            services::name.eq(&service.name),
            services::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(service)
}

pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Service>> {
    Ok(services::table
        .filter(services::code.eq(code))
        .select(Service::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut AnyConnection) -> Result<Vec<Service>> {
    Ok(services::table
        .order(services::code.asc())
        .select(Service::as_select())
        .load(conn)?)
}

/// Adds the user to the service as an instructor (idempotent: an existing membership keeps its role).
pub fn add_member(conn: &mut AnyConnection, user_id: &str, service_code: &str) -> Result<()> {
    let service = find_by_code(conn, service_code)?
        .ok_or_else(|| AccountsError::UnknownService(service_code.to_owned()))?;
    let exists: i64 = memberships::table
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::service_id.eq(&service.id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(memberships::table)
            .values((
                memberships::user_id.eq(user_id),
                memberships::service_id.eq(&service.id),
                memberships::created_at.eq(now()),
                memberships::role.eq(ServiceRole::Instructeur.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets the member's role within the service, adding the membership when there is none.
pub fn set_role(
    conn: &mut AnyConnection,
    user_id: &str,
    service_code: &str,
    role: ServiceRole,
) -> Result<()> {
    add_member(conn, user_id, service_code)?;
    let service = find_by_code(conn, service_code)?
        .ok_or_else(|| AccountsError::UnknownService(service_code.to_owned()))?;
    diesel::update(
        memberships::table
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::service_id.eq(&service.id)),
    )
    .set(memberships::role.eq(role.as_str()))
    .execute(conn)?;
    Ok(())
}

/// A user's membership of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub service: Service,
    pub role: ServiceRole,
}

/// The user's services with the role held in each (an unknown stored role reads as read-only: the
/// safest reading of a value this version does not know).
pub fn memberships_of(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Membership>> {
    let rows: Vec<(Service, String)> = memberships::table
        .inner_join(services::table)
        .filter(memberships::user_id.eq(user_id))
        .order(services::code.asc())
        .select((Service::as_select(), memberships::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(service, role)| Membership {
            service,
            role: role.parse().unwrap_or(ServiceRole::Lecteur),
        })
        .collect())
}

/// The services a user belongs to: the scope of an instructor's back office.
pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Service>> {
    Ok(memberships::table
        .inner_join(services::table)
        .filter(memberships::user_id.eq(user_id))
        .order(services::code.asc())
        .select(Service::as_select())
        .load(conn)?)
}

/// The members of a service with their role there (for the admin page).
pub fn members_with_roles(conn: &mut AnyConnection, service_id: &str) -> Result<Vec<(User, ServiceRole)>> {
    let rows: Vec<(crate::users::UserRow, String)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::service_id.eq(service_id))
        .order(users::email.asc())
        .select((crate::users::UserRow::as_select(), memberships::role))
        .load(conn)?;
    rows.into_iter()
        .map(|(u, role)| Ok((User::try_from(u)?, role.parse().unwrap_or(ServiceRole::Lecteur))))
        .collect()
}

/// The members of a service (for the admin page).
pub fn members(conn: &mut AnyConnection, service_id: &str) -> Result<Vec<User>> {
    let rows: Vec<crate::users::UserRow> = memberships::table
        .inner_join(users::table)
        .filter(memberships::service_id.eq(service_id))
        .order(users::email.asc())
        .select(crate::users::UserRow::as_select())
        .load(conn)?;
    rows.into_iter().map(User::try_from).collect()
}

/// Takes the user out of the service (their other services and their account stay).
pub fn remove_member(conn: &mut AnyConnection, user_id: &str, service_code: &str) -> Result<()> {
    let service = find_by_code(conn, service_code)?
        .ok_or_else(|| AccountsError::UnknownService(service_code.to_owned()))?;
    diesel::delete(
        memberships::table
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::service_id.eq(&service.id)),
    )
    .execute(conn)?;
    Ok(())
}
