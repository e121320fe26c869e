//! Legal deadlines: when the answer is due, what silence means, and how a complement awaited moves the
//! date. The dates shown to the usager, in the queue and in letters all come from here.

use chrono::{Months, NaiveDate, NaiveDateTime};
use guichet_dossiers::Dossier;
use guichet_forms::{FormDefinition, Silence};

/// The expected answer date: the legal deadline counted from `from` (the deposit, or for APA the day the
/// dossier is recorded complete).
pub fn due_date(def: &FormDefinition, from: NaiveDateTime) -> Option<NaiveDateTime> {
    let d = def.definition().deadline.as_ref()?;
    match (d.months, d.days) {
        (Some(m), _) => from.checked_add_months(Months::new(m)),
        (None, Some(days)) => Some(from + chrono::Duration::days(i64::from(days))),
        (None, None) => None,
    }
}

/// The due date as it stands at `now`: while a complement is awaited the clock is paused (CRPA L114-5,
/// CASF R232-23 for APA), so the date shown moves by the time already spent waiting.
pub fn effective_due(d: &Dossier, now: NaiveDateTime) -> Option<NaiveDateTime> {
    moved_due(d.due_at, d.clock_paused_at, now)
}

/// The same from the two dates (a queue row carries them without the whole dossier).
pub fn moved_due(
    due_at: Option<NaiveDateTime>,
    paused_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    match (due_at, paused_at) {
        (Some(due), Some(paused)) if now > paused => Some(due + (now - paused)),
        (due, _) => due,
    }
}

/// What silence at the due date means, as a sentence for the usager.
pub fn silence_sentence(def: &FormDefinition) -> Option<&'static str> {
    def.definition().deadline.as_ref().map(|d| match d.silence {
        Silence::Rejet => "Sans réponse à cette date, la demande est réputée rejetée : vous pourrez alors contester ce refus implicite.",
        Silence::Acceptation => "Sans réponse à cette date, la demande est réputée acceptée.",
        // CASF L232-14 and R232-29: half the GIR 1 ceiling, paid until the explicit decision.
        Silence::AcceptationForfaitaire => "Sans réponse à cette date, l’aide vous est accordée à titre provisoire pour un montant forfaitaire, jusqu’à la décision.",
    })
}

/// Who answers the request: the MDPH when the CDAPH decides any of its rights (AAH, RQTH, PCH, orientation:
/// CASF L241-6), the département otherwise (APA, Améthyste: its president decides).
pub fn who_answers(def: &FormDefinition) -> (&'static str, &'static str) {
    if crate::commission::uses_commission(def) {
        (
            "La MDPH",
            " C’est sa commission des droits et de l’autonomie des personnes handicapées (CDAPH) qui décide.",
        )
    } else {
        ("Le département", "")
    }
}

/// The start page's sentence: how long the département has, from when, and what silence means.
pub fn deadline_sentence(def: &FormDefinition) -> Option<String> {
    def.definition().deadline.as_ref().map(|d| {
        let delay = match (d.months, d.days) {
            (Some(m), _) => format!("{m} mois"),
            (None, Some(days)) => format!("{days} jours"),
            _ => String::new(),
        };
        let from = d
            .from
            .clone()
            .unwrap_or_else(|| "à compter de l’envoi de votre demande".into());
        let silence = silence_sentence(def).unwrap_or("");
        let (who, decides) = who_answers(def);
        format!("{who} vous répond dans un délai de {delay} {from}.{decides} {silence}")
    })
}

/// Today in France (Europe/Paris is UTC+1 or +2: a date computed at UTC is wrong only around midnight,
/// which the date bounds tolerate).
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
