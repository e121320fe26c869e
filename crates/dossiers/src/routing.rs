//! Routing rules: which service receives a deposited dossier, beyond its procedure's own, by the
//! beneficiary's postal code or commune (a territorial service) or their age (the MDPH's children's and
//! adults' teams). A procedure's rules are tried in order; the first whose every condition holds wins; no
//! rule, or none that holds: the procedure's service.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use guichet_db::schema::routing_rules;
use guichet_db::{AnyConnection, new_id, now};

/// What the rules read of the beneficiary (from the answers, by the use case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Beneficiary {
    /// Five digits: `93200`.
    pub postal_code: Option<String>,
    /// INSEE code: `93066`.
    pub commune: Option<String>,
    /// In whole years, at deposit.
    pub age: Option<u32>,
}

use crate::store::Result;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = routing_rules)]
pub struct Rule {
    pub id: String,
    pub procedure: String,
    pub position: i32,
    /// Postal codes or their first digits, comma-separated (empty: any).
    pub postal_codes: String,
    /// INSEE codes, comma-separated (empty: any).
    pub communes: String,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub service_code: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

fn list_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl Rule {
    pub fn postal_code_list(&self) -> Vec<&str> {
        list_of(&self.postal_codes).collect()
    }

    pub fn commune_list(&self) -> Vec<&str> {
        list_of(&self.communes).collect()
    }

    /// Every condition set holds for this beneficiary; a condition on something the answers do not give
    /// (no birth date) does not hold.
    pub fn holds(&self, facts: &Beneficiary) -> bool {
        let postal = self.postal_code_list();
        if !postal.is_empty()
            && !facts
                .postal_code
                .as_deref()
                .is_some_and(|cp| postal.iter().any(|p| cp.starts_with(p)))
        {
            return false;
        }
        let communes = self.commune_list();
        if !communes.is_empty()
            && !facts
                .commune
                .as_deref()
                .is_some_and(|c| communes.iter().any(|x| x.eq_ignore_ascii_case(c)))
        {
            return false;
        }
        if self.age_min.is_some() || self.age_max.is_some() {
            let Some(age) = facts.age.and_then(|a| i32::try_from(a).ok()) else {
                return false;
            };
            if self.age_min.is_some_and(|m| age < m) || self.age_max.is_some_and(|m| age > m) {
                return false;
            }
        }
        true
    }
}

/// A rule to add, checked by the use case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRule {
    pub procedure: String,
    pub postal_codes: Vec<String>,
    pub communes: Vec<String>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub service_code: String,
}

/// Every rule, by procedure then order.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<Rule>> {
    Ok(routing_rules::table
        .order((routing_rules::procedure.asc(), routing_rules::position.asc()))
        .select(Rule::as_select())
        .load(conn)?)
}

pub fn of_procedure(conn: &mut AnyConnection, procedure: &str) -> Result<Vec<Rule>> {
    Ok(routing_rules::table
        .filter(routing_rules::procedure.eq(procedure))
        .order(routing_rules::position.asc())
        .select(Rule::as_select())
        .load(conn)?)
}

/// Adds the rule after the procedure's others.
pub fn add(conn: &mut AnyConnection, r: &NewRule, by: Option<&str>) -> Result<Rule> {
    guichet_db::write_transaction(conn, |conn| {
        let last: Option<i32> = routing_rules::table
            .filter(routing_rules::procedure.eq(&r.procedure))
            .select(diesel::dsl::max(routing_rules::position))
            .first(conn)?;
        let id = new_id();
        diesel::insert_into(routing_rules::table)
            .values((
                routing_rules::id.eq(&id),
                routing_rules::procedure.eq(&r.procedure),
                routing_rules::position.eq(last.unwrap_or(0) + 1),
                routing_rules::postal_codes.eq(r.postal_codes.join(",")),
                routing_rules::communes.eq(r.communes.join(",")),
                routing_rules::age_min.eq(r.age_min),
                routing_rules::age_max.eq(r.age_max),
                routing_rules::service_code.eq(&r.service_code),
                routing_rules::created_by.eq(by),
                routing_rules::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(routing_rules::table
            .find(&id)
            .select(Rule::as_select())
            .first(conn)?)
    })
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Rule>> {
    Ok(routing_rules::table
        .find(id)
        .select(Rule::as_select())
        .first(conn)
        .optional()?)
}

/// Removes a rule; false when there was none.
pub fn remove(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    Ok(diesel::delete(routing_rules::table.find(id)).execute(conn)? > 0)
}

/// Moves a rule one place earlier among its procedure's (swapping with the one before); false at the top.
pub fn move_up(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    guichet_db::write_transaction(conn, |conn| {
        let Some(rule) = routing_rules::table
            .find(id)
            .select(Rule::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(false);
        };
        let before: Option<Rule> = routing_rules::table
            .filter(routing_rules::procedure.eq(&rule.procedure))
            .filter(routing_rules::position.lt(rule.position))
            .order(routing_rules::position.desc())
            .select(Rule::as_select())
            .first(conn)
            .optional()?;
        let Some(before) = before else {
            return Ok(false);
        };
        diesel::update(routing_rules::table.find(&rule.id))
            .set(routing_rules::position.eq(before.position))
            .execute(conn)?;
        diesel::update(routing_rules::table.find(&before.id))
            .set(routing_rules::position.eq(rule.position))
            .execute(conn)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(postal: &str, communes: &str, min: Option<i32>, max: Option<i32>) -> Rule {
        Rule {
            id: "r".into(),
            procedure: "mdph".into(),
            position: 1,
            postal_codes: postal.into(),
            communes: communes.into(),
            age_min: min,
            age_max: max,
            service_code: "x".into(),
            created_by: None,
            created_at: NaiveDateTime::default(),
        }
    }

    fn who(cp: &str, insee: &str, age: Option<u32>) -> Beneficiary {
        Beneficiary {
            postal_code: Some(cp.into()).filter(|s: &String| !s.is_empty()),
            commune: Some(insee.into()).filter(|s: &String| !s.is_empty()),
            age,
        }
    }

    #[test]
    fn a_prefix_a_commune_and_an_age_band_each_hold_or_not() {
        let f = who("93100", "93048", Some(15));
        assert!(rule("931", "", None, None).holds(&f));
        assert!(rule("93200, 931", "", None, None).holds(&f));
        assert!(!rule("932", "", None, None).holds(&f));
        assert!(rule("", "93048", None, None).holds(&f));
        assert!(!rule("", "93066", None, None).holds(&f));
        // Bounds included.
        assert!(rule("", "", None, Some(15)).holds(&f));
        assert!(rule("", "", Some(15), None).holds(&f));
        assert!(!rule("", "", Some(16), None).holds(&f));
        assert!(!rule("", "", None, Some(14)).holds(&f));
        // Every condition must hold.
        assert!(!rule("931", "", Some(20), None).holds(&f));
        // An age condition without a birth date does not hold; no condition always does.
        assert!(!rule("", "", Some(0), Some(19)).holds(&who("93100", "", None)));
        assert!(rule("", "", None, None).holds(&Beneficiary::default()));
    }
}
