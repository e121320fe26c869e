//! Antivirus state of the files stored while clamd could not be reached (`GUICHET_CLAMD_UNAVAILABLE=hold`).
//! Such a file is `pending` and never served until the rescan job hears clamd: then `clean`, or
//! `infected` (its bytes deleted, every dossier naming it told). A file with no row was scanned clean
//! when it arrived: the common case costs no write.

use std::collections::BTreeSet;

use diesel::prelude::*;
use guichet_db::schema::{attachments, dossiers, file_refs, file_scans, users};
use guichet_db::{AnyConnection, now};

use crate::store::{Result, insert_event};

pub const PENDING: &str = "pending";
pub const CLEAN: &str = "clean";
pub const INFECTED: &str = "infected";

/// The history event of a deleted infected document (visible to the usager).
pub const INFECTED_KIND: &str = "document_infected";

/// Marks a file stored unscanned as pending. Bytes already known clean stay clean (same digest, same
/// bytes); bytes once found infected and received again are pending again (the rescan deletes them again).
pub fn hold(conn: &mut AnyConnection, sha256: &str) -> Result<()> {
    guichet_db::write_transaction(conn, |conn| {
        let current: Option<String> = file_scans::table
            .find(sha256)
            .select(file_scans::status)
            .first(conn)
            .optional()?;
        match current.as_deref() {
            None => {
                diesel::insert_into(file_scans::table)
                    .values((
                        file_scans::sha256.eq(sha256),
                        file_scans::status.eq(PENDING),
                        file_scans::received_at.eq(now()),
                    ))
                    .execute(conn)?;
            }
            Some(INFECTED) => {
                diesel::update(file_scans::table.find(sha256))
                    .set((
                        file_scans::status.eq(PENDING),
                        file_scans::received_at.eq(now()),
                        file_scans::scanned_at.eq(None::<chrono::NaiveDateTime>),
                    ))
                    .execute(conn)?;
            }
            Some(_) => {}
        }
        Ok(())
    })
}

/// The scan status of a file: `None` when it was scanned at upload (or scanning is off).
pub fn status(conn: &mut AnyConnection, sha256: &str) -> Result<Option<String>> {
    Ok(file_scans::table
        .find(sha256)
        .select(file_scans::status)
        .first(conn)
        .optional()?)
}

/// Every file waiting for its scan, oldest first.
pub fn pending(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(file_scans::table
        .filter(file_scans::status.eq(PENDING))
        .order(file_scans::received_at.asc())
        .select(file_scans::sha256)
        .load(conn)?)
}

pub fn mark_clean(conn: &mut AnyConnection, sha256: &str) -> Result<()> {
    diesel::update(
        file_scans::table
            .find(sha256)
            .filter(file_scans::status.eq(PENDING)),
    )
    .set((file_scans::status.eq(CLEAN), file_scans::scanned_at.eq(now())))
    .execute(conn)?;
    Ok(())
}

/// A pending file whose bytes are gone (removed by the collector, unreferenced): nothing left to scan.
pub fn forget(conn: &mut AnyConnection, sha256: &str) -> Result<()> {
    diesel::delete(
        file_scans::table
            .find(sha256)
            .filter(file_scans::status.eq(PENDING)),
    )
    .execute(conn)?;
    Ok(())
}

/// Marks a file infected and, in the same transaction, records a history event on every dossier whose
/// answers or messages name it and queues an email to each owner (`email` builds it from the owner's
/// address, the procedure id and the dossier id). Call it before deleting the bytes: from this commit on
/// the file is refused to everyone. Returns the dossiers told.
pub fn mark_infected(
    conn: &mut AnyConnection,
    sha256: &str,
    email: &dyn Fn(&str, &str, &str) -> guichet_db::outbox::NewEmail,
) -> Result<Vec<String>> {
    guichet_db::write_transaction(conn, |conn| {
        diesel::update(file_scans::table.find(sha256))
            .set((file_scans::status.eq(INFECTED), file_scans::scanned_at.eq(now())))
            .execute(conn)?;
        let mut ids: BTreeSet<String> = file_refs::table
            .filter(file_refs::sha256.eq(sha256))
            .select(file_refs::dossier_id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        ids.extend(
            attachments::table
                .filter(attachments::sha256.eq(sha256))
                .select(attachments::dossier_id)
                .load::<String>(conn)?,
        );
        let mut told = Vec::new();
        for id in ids {
            let Some((procedure, owner_email)) = dossiers::table
                .inner_join(users::table.on(users::id.eq(dossiers::owner_id)))
                .filter(dossiers::id.eq(&id))
                .select((dossiers::procedure, users::email))
                .first::<(String, String)>(conn)
                .optional()?
            else {
                continue;
            };
            insert_event(
                conn,
                &id,
                None,
                INFECTED_KIND,
                None,
                None,
                &serde_json::Value::Null,
                true,
            )?;
            crate::sharing::enqueue(conn, &id, &email(&owner_email, &procedure, &id))?;
            told.push(id);
        }
        Ok(told)
    })
}
