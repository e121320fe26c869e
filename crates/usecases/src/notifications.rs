//! An agent's notification emails: the news of their dossiers (a message or a complement received, an
//! opinion given) and services (a new dossier), and deadlines 15 and 7 days ahead, gathered from the
//! dossiers' events by a periodic task rather than sent from each use case, so that one email carries a
//! quarter of an hour of news, or a day's for those who chose the digest.

use chrono::NaiveDateTime;
use guichet_accounts::preferences::{self, Notifications};
use guichet_accounts::{services, users};
use guichet_db::AnyConnection;
use guichet_dossiers::instruction;
use guichet_types::Role;

use crate::error::Result;
use crate::instruction::Links;

/// The hour (local server time) the daily digest and the deadline reminders go out.
pub const DIGEST_HOUR: u32 = 7;

/// The email's sections for these news: (title, dossier numbers), empty ones left out.
pub fn sections(
    s: &Notifications,
    news: &instruction::News,
    due15: &[String],
    due7: &[String],
) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut add = |on: bool, title: &str, list: &[String]| {
        if on && !list.is_empty() {
            out.push((title.to_owned(), list.to_vec()));
        }
    };
    add(s.message, "Messages reçus de l’usager", &news.messages);
    add(s.complement, "Compléments reçus", &news.complements);
    // Outside the digest, an opinion given is emailed at once (`opinions::answer`).
    add(s.opinion && s.digest, "Avis d’experts reçus", &news.opinions);
    add(
        s.new_dossier,
        "Nouveaux dossiers dans vos services",
        &news.new_dossiers,
    );
    add(s.deadline, "Échéance dans 7 jours", due7);
    add(s.deadline, "Échéance dans 15 jours", due15);
    out
}

/// Writes the notification emails due at `now` (one per agent with news); returns how many. An agent in
/// digest mode gets theirs once a day from [`DIGEST_HOUR`]; the deadlines are counted once a day too.
pub fn send_due(conn: &mut AnyConnection, links: &Links, now: NaiveDateTime) -> Result<usize> {
    let mut sent = 0;
    let today = now.date();
    let seven = today.and_hms_opt(DIGEST_HOUR, 0, 0).unwrap_or(now);
    for user in users::staff(conn)? {
        if user.deactivated || !(user.role == Role::Instructeur || user.role == Role::Admin) {
            continue;
        }
        let (settings, last) = preferences::notifications_of(conn, &user.id)?;
        if !settings.any() {
            continue;
        }
        // A first run starts the watermark: nothing older is sent.
        let Some(since) = last else {
            preferences::mark_notified(conn, &user.id, now)?;
            continue;
        };
        // The first run at or after the hour of the day: the digest, and the day's deadline count.
        let new_day = since < seven && now >= seven;
        if settings.digest && !new_day {
            continue;
        }
        let codes: Vec<String> = services::memberships_of(conn, &user.id)?
            .into_iter()
            .filter(|m| m.role.opens_dossiers())
            .map(|m| m.service.code)
            .collect();
        let news = instruction::news_for(
            conn,
            &user.id,
            if settings.new_dossier { &codes } else { &[] },
            since,
            now,
        )?;
        let (due15, due7) = if new_day && settings.deadline {
            (
                instruction::due_on(conn, &user.id, today + chrono::Duration::days(15))?,
                instruction::due_on(conn, &user.id, today + chrono::Duration::days(7))?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let list = sections(&settings, &news, &due15, &due7);
        guichet_db::write_transaction(conn, |conn| {
            if !list.is_empty() {
                guichet_db::outbox::enqueue(
                    conn,
                    &guichet_notify::emails::agent_news(
                        &user.email,
                        settings.digest,
                        &list,
                        &links.public_url,
                    ),
                )?;
            }
            preferences::mark_notified(conn, &user.id, now)?;
            Ok::<_, crate::error::CaseError>(())
        })?;
        if !list.is_empty() {
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_news_asked_for_make_sections() {
        let news = instruction::News {
            new_dossiers: vec!["APA-2026-000009".into()],
            messages: vec!["APA-2026-000001".into()],
            complements: Vec::new(),
            opinions: vec!["MDPH-2026-000002".into()],
        };
        let s = Notifications::default();
        let titles: Vec<String> = sections(&s, &news, &[], &["APA-2026-000003".into()])
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(titles, ["Messages reçus de l’usager", "Échéance dans 7 jours"]);
        let digest = Notifications { digest: true, ..s };
        assert_eq!(
            sections(&digest, &news, &[], &[]).len(),
            2,
            "the digest has the opinions too"
        );
        let none = Notifications {
            message: false,
            opinion: false,
            deadline: false,
            ..s
        };
        assert!(
            sections(&none, &news, &[], &[]).is_empty(),
            "new dossiers are off by default"
        );
    }
}
