//! The `settings` table: a few keyed texts the administrators edit (the département's identity). Reads
//! are whole-table (a dozen rows); writes replace values in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::settings;
use crate::{AnyConnection, Result};

/// One stored setting.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = settings)]
pub struct Setting {
    pub key: String,
    pub value: String,
    /// The user who set it; `None` from the command line.
    pub updated_by: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// Every stored setting, by key.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<Setting>> {
    Ok(settings::table
        .order(settings::key.asc())
        .select(Setting::as_select())
        .load(conn)?)
}

/// What to do with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Set(String),
    /// Back to the default (the row is removed).
    Remove,
}

/// Applies the changes in one transaction. An update then an insert, not an upsert: the two backends
/// spell `ON CONFLICT` alike, but `MultiConnection` has no shared upsert; two administrators creating
/// the same key at the same instant get a unique violation, reported as an error, and retry.
pub fn apply(
    conn: &mut AnyConnection,
    changes: &[(String, Change)],
    by: Option<&str>,
    at: NaiveDateTime,
) -> Result<()> {
    crate::write_transaction(conn, |conn| {
        for (key, change) in changes {
            match change {
                Change::Remove => {
                    diesel::delete(settings::table.find(key)).execute(conn)?;
                }
                Change::Set(value) => {
                    let n = diesel::update(settings::table.find(key))
                        .set((
                            settings::value.eq(value),
                            settings::updated_by.eq(by),
                            settings::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    if n == 0 {
                        diesel::insert_into(settings::table)
                            .values((
                                settings::key.eq(key),
                                settings::value.eq(value),
                                settings::updated_by.eq(by),
                                settings::updated_at.eq(at),
                            ))
                            .execute(conn)?;
                    }
                }
            }
        }
        Ok(())
    })
}
