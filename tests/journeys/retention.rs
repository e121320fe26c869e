//! Retention (RGPD art. 5.1.e) with a moved clock: drafts warned then purged, decided dossiers purged with
//! their files, statistics kept, every purge logged; `guichet purge --dry-run` changes nothing.

use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;
use guichet_db::schema::{dossier_events, dossiers, outbox, purge_log, purged_dossier_stats};
use guichet_dossiers::instruction::{self, Command, NewAttachment};
use guichet_dossiers::retention::{Policy, PurgeKind};
use guichet_dossiers::rights::{self, Outcome, RightDecision};
use guichet_dossiers::store::{self, NewDraft};
use guichet_dossiers::{Actor, State, stats};
use guichet_test_support::{Backend, TestApp, on_both_backends};
use guichet_types::{Euros, Role};
use guichet_web::retention::{self, Report};
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";
const OWNER: &str = "famille@exemple.fr";
const AGENT: &str = "agent.apa@exemple.fr";

fn apa_answers() -> Value {
    serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap()
}

fn later(t: NaiveDateTime, months: u32) -> NaiveDateTime {
    t.checked_add_months(Months::new(months)).unwrap()
}

fn policies(app: &TestApp) -> Vec<Policy> {
    retention::policies(app.state.procedures.all().map(|p| &*p.def))
}

/// Stores bytes in the app's file store, as an upload does; returns their SHA-256.
fn store_file(app: &TestApp, content: &str) -> String {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(content.as_bytes()));
    let path = app.state.files.path_of(&sha).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    sha
}

fn file_ref(sha: &str, name: &str) -> Value {
    json!([{ "id": sha, "name": name, "size": 10, "content_type": "application/pdf" }])
}

fn on_disk(app: &TestApp, sha: &str) -> bool {
    app.state.files.path_of(sha).unwrap().is_file()
}

async fn run_at(app: &TestApp, now: NaiveDateTime) -> Report {
    let (policies, files, url) = (
        policies(app),
        app.state.files.clone(),
        app.state.settings.public_url.clone(),
    );
    app.pool
        .run(move |c| retention::run(c, &policies, &files, &url, now))
        .await
        .unwrap()
}

async fn exists(app: &TestApp, id: &str) -> bool {
    let id = id.to_owned();
    app.pool
        .run(move |c| store::find(c, &id).map(|d| d.is_some()))
        .await
        .unwrap()
}

async fn new_draft(app: &TestApp, answers: Value) -> store::Dossier {
    let proc = app.state.procedures.get("apa").unwrap().clone();
    let email = guichet_types::Email::parse(OWNER).unwrap();
    app.pool
        .run(move |c| {
            let owner = guichet_accounts::users::find_by_email(c, &email)
                .unwrap()
                .unwrap();
            store::create_draft(
                c,
                &NewDraft {
                    owner_id: owner.id,
                    procedure: proc.id().to_owned(),
                    service_code: proc.service_code.clone(),
                    form_version_id: proc.version_id.clone(),
                    answers,
                    applicant_name: String::new(),
                },
            )
        })
        .await
        .unwrap()
}

async fn warnings_sent(app: &TestApp) -> i64 {
    app.pool
        .run(|c| {
            outbox::table
                .filter(outbox::recipient.eq(OWNER))
                .filter(outbox::subject.like("%sera bientôt supprimée%"))
                .count()
                .get_result::<i64>(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap()
}

async fn drafts_are_warned_once_then_purged_with_their_files(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OWNER, PASSWORD, Role::Usager, &[]).await;
    let sha = store_file(&app, "brouillon: avis d'imposition");
    let draft = new_draft(&app, json!({ "avis_imposition": file_ref(&sha, "avis.pdf") })).await;
    let t0 = draft.updated_at;

    let r = run_at(&app, later(t0, 4)).await;
    assert!(
        r.outcome.warned.is_empty() && r.outcome.purged.is_empty(),
        "{r:?}"
    );

    // Five months untouched: the owner is warned, once.
    let r = run_at(&app, later(t0, 5)).await;
    assert_eq!(r.outcome.warned.len(), 1, "{r:?}");
    assert_eq!(r.outcome.warned[0].owner_email, OWNER);
    assert!(r.outcome.purged.is_empty());
    app.state.delivery.wake();
    let mail = app.wait_for_email(OWNER, "sera bientôt supprimée").await;
    assert!(
        mail.body.contains(&format!("/dossiers/{}", draft.id)),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("après 6 mois"), "{}", mail.body);
    let r = run_at(&app, later(t0, 5) + chrono::Duration::days(3)).await;
    assert!(
        r.outcome.warned.is_empty() && r.outcome.purged.is_empty(),
        "{r:?}"
    );
    assert_eq!(warnings_sent(&app).await, 1);

    // Six months untouched, warned a month ago: purged, and its file with it.
    let r = run_at(&app, later(t0, 6)).await;
    assert_eq!(r.outcome.purged.len(), 1, "{r:?}");
    assert_eq!(r.outcome.purged[0].kind, PurgeKind::Draft);
    assert_eq!(r.outcome.unreferenced_files, vec![sha.clone()]);
    assert_eq!(r.files_removed, 1);
    assert!(!exists(&app, &draft.id).await);
    assert!(!on_disk(&app, &sha));
    let id = draft.id.clone();
    let (log, events): (Vec<guichet_dossiers::retention::PurgeRecord>, i64) = app
        .pool
        .run(move |c| {
            let log = guichet_dossiers::retention::purge_log(c, 10)?;
            let events = dossier_events::table
                .filter(dossier_events::dossier_id.eq(&id))
                .count()
                .get_result(c)?;
            Ok::<_, guichet_dossiers::DossierError>((log, events))
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].kind.as_str(), log[0].procedure.as_str()),
        ("brouillon", "apa")
    );
    assert_eq!(log[0].dossier_id, draft.id);
    assert_eq!(events, 0, "the draft's own events go with it");
}

async fn a_draft_touched_after_its_warning_is_kept(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OWNER, PASSWORD, Role::Usager, &[]).await;
    let draft = new_draft(&app, json!({})).await;
    let t0 = draft.updated_at;
    assert_eq!(run_at(&app, later(t0, 5)).await.outcome.warned.len(), 1);

    // The usager saves a step: the draft's last change moves, its warning no longer holds.
    let (id, owner) = (draft.id.clone(), draft.owner_id.clone());
    app.pool
        .run(move |c| store::save_answers(c, &id, &owner, &json!({ "demande_pour": "moi" }), None, ""))
        .await
        .unwrap();
    let r = run_at(&app, later(t0, 6)).await;
    assert!(r.outcome.purged.is_empty(), "{r:?}");
    assert_eq!(r.outcome.forgotten_warnings, 1, "{r:?}");
    // Still old by the moved clock, it gets a fresh warning for its new last change, with a new notice.
    assert_eq!(r.outcome.warned.len(), 1, "{r:?}");
    let r = run_at(&app, later(t0, 6) + chrono::Duration::days(1)).await;
    assert!(r.outcome.purged.is_empty(), "{r:?}");
    assert!(exists(&app, &draft.id).await);
}

async fn decided_dossiers_past_retention_are_purged_with_their_files(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OWNER, PASSWORD, Role::Usager, &[]).await;
    app.create_user(AGENT, PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let own = store_file(&app, "avis d'imposition du dossier purgé");
    let shared = store_file(&app, "pièce d'identité partagée");
    let attached = store_file(&app, "pièce jointe à un message");
    let mut answers = apa_answers();
    answers["avis_imposition"] = file_ref(&own, "avis.pdf");
    answers["piece_identite"] = file_ref(&shared, "cni.pdf");
    let (old_id, old_number) = app.deposit(OWNER, "apa", answers.clone()).await;
    // Another dossier shares one file; it stays in instruction (never purged).
    let mut other = apa_answers();
    other["piece_identite"] = file_ref(&shared, "cni.pdf");
    let (open_id, _) = app.deposit(OWNER, "apa", other).await;

    let agent_email = guichet_types::Email::parse(AGENT).unwrap();
    let (old, open, attached_sha) = (old_id.clone(), open_id.clone(), attached.clone());
    let decided_at = app
        .pool
        .run(move |c| {
            let agent = guichet_accounts::users::find_by_email(c, &agent_email)
                .unwrap()
                .unwrap();
            for id in [&old, &open] {
                let d = store::find(c, id)?.unwrap();
                instruction::act(
                    c,
                    id,
                    d.lock_version,
                    Actor::Instructeur,
                    &agent.id,
                    &Command::Take,
                    None,
                )?;
            }
            instruction::post_message(
                c,
                &old,
                &agent.id,
                true,
                "Voici le plan d’aide.",
                &[NewAttachment {
                    filename: "plan.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 10,
                    sha256: attached_sha.clone(),
                }],
                None,
            )?;
            instruction::add_note(c, &old, &agent.id, "note interne")?;
            let d = store::find(c, &old)?.unwrap();
            let decision = RightDecision {
                outcome: Outcome::Accord,
                amount: Some(Euros::from_cents(45_000)),
                period_start: None,
                period_end: None,
                rate: None,
                motivation: "Plan d’aide accordé.".into(),
                legal_basis: "CASF L232-1".into(),
                session_id: None,
            };
            let mut d = d;
            for r in rights::of(c, &old)? {
                d = rights::decide(c, &old, d.lock_version, &agent.id, &r.code, &decision, None)?;
            }
            assert_eq!(d.state, State::Decide);
            Ok::<_, guichet_dossiers::DossierError>(d.decided_at.unwrap())
        })
        .await
        .unwrap();
    let stats_before = app
        .pool
        .run(|c| {
            let counts = stats::counts_by_state(c, None)?;
            let monthly = stats::monthly_counts(c)?;
            let times = stats::decision_times(c, None, "apa")?;
            Ok::<_, guichet_dossiers::DossierError>((counts, monthly, times.len()))
        })
        .await
        .unwrap();

    // Four years after the decision: kept. Five years and a day: purged, with its own files.
    let r = run_at(&app, later(decided_at, 48)).await;
    assert!(r.outcome.purged.is_empty(), "{r:?}");
    let r = run_at(&app, later(decided_at, 60) + chrono::Duration::days(1)).await;
    assert_eq!(r.outcome.purged.len(), 1, "{r:?}");
    let p = &r.outcome.purged[0];
    assert_eq!(
        (p.kind, p.state, p.number.as_deref()),
        (PurgeKind::Decided, State::Decide, Some(old_number.as_str()))
    );
    let mut gone = r.outcome.unreferenced_files.clone();
    gone.sort();
    let mut expected = vec![own.clone(), attached.clone()];
    expected.sort();
    assert_eq!(gone, expected, "the shared file is still referenced");
    assert!(!on_disk(&app, &own) && !on_disk(&app, &attached));
    assert!(on_disk(&app, &shared), "a file another dossier holds is kept");
    assert!(!exists(&app, &old_id).await);
    assert!(
        exists(&app, &open_id).await,
        "a dossier in instruction is never purged"
    );

    let old = old_id.clone();
    let (children, log, stats_rows, stats_after) = app
        .pool
        .run(move |c| {
            use guichet_db::schema::{attachments, messages};
            let children: i64 = dossier_events::table
                .filter(dossier_events::dossier_id.eq(&old))
                .count()
                .get_result::<i64>(c)?
                + messages::table
                    .filter(messages::dossier_id.eq(&old))
                    .count()
                    .get_result::<i64>(c)?
                + attachments::table
                    .filter(attachments::dossier_id.eq(&old))
                    .count()
                    .get_result::<i64>(c)?;
            let log: Vec<(String, Option<String>, String)> = purge_log::table
                .select((purge_log::kind, purge_log::dossier_number, purge_log::reason))
                .load(c)?;
            let rows: Vec<(String, String, Option<String>, Option<String>)> = purged_dossier_stats::table
                .select((
                    purged_dossier_stats::procedure,
                    purged_dossier_stats::state,
                    purged_dossier_stats::deposit_month,
                    purged_dossier_stats::amount_band,
                ))
                .load(c)?;
            let counts = stats::counts_by_state(c, None)?;
            let monthly = stats::monthly_counts(c)?;
            let times = stats::decision_times(c, None, "apa")?;
            Ok::<_, guichet_dossiers::DossierError>((children, log, rows, (counts, monthly, times.len())))
        })
        .await
        .unwrap();
    assert_eq!(
        children, 0,
        "events, notes, messages and attachment rows go with the dossier"
    );
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, "dossier");
    assert_eq!(log[0].1.as_deref(), Some(old_number.as_str()));
    assert_eq!(stats_rows.len(), 1);
    assert_eq!(stats_rows[0].0, "apa");
    assert_eq!(stats_rows[0].1, "decide");
    assert_eq!(stats_rows[0].3.as_deref(), Some("100 à 499 €"));
    assert_eq!(
        stats_after, stats_before,
        "the statistics still count the purged dossier"
    );

    // Much later, the dossier in instruction is still there.
    let r = run_at(&app, later(decided_at, 240)).await;
    assert!(r.outcome.purged.is_empty(), "{r:?}");
    assert!(exists(&app, &open_id).await);
}

/// `guichet purge --dry-run --now …` lists what would go and changes nothing; `guichet purge` does it.
async fn the_purge_command_lists_then_purges(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(OWNER, PASSWORD, Role::Usager, &[]).await;
    let draft = new_draft(&app, json!({})).await;
    // Whole seconds on the command line: a minute later than five months to the microsecond.
    let in_five = (later(draft.updated_at, 5) + chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let in_seven = later(draft.updated_at, 7).format("%Y-%m-%d").to_string();
    let guichet = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("purge")
            .args(args)
            .env("GUICHET_DATA_DIR", app.data_dir.path())
            .env("GUICHET_DATABASE_URL", app.pool_url())
            .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
            .env_remove("GUICHET_PURGE_NOW")
            .output()
            .unwrap()
    };
    let count = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            pool.run(|c| {
                let d: i64 = dossiers::table.count().get_result(c)?;
                let w: i64 = guichet_db::schema::retention_warnings::table
                    .count()
                    .get_result(c)?;
                let o: i64 = outbox::table.count().get_result(c)?;
                Ok::<_, guichet_db::DbError>((d, w, o))
            })
            .await
            .unwrap()
        }
    };
    let before = count(&app).await;

    let out = guichet(&["--dry-run", "--now", &in_five]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains(&format!("avertissement\tbrouillon {}\tapa", draft.id)),
        "{stdout}"
    );
    assert!(stdout.contains("Rien n’a été modifié"), "{stdout}");
    assert_eq!(count(&app).await, before, "a dry run changes nothing");

    let out = guichet(&["--now", &in_five]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 avertissement envoyé"));

    let out = guichet(&["--dry-run", "--now", &in_seven]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("suppression\tbrouillon {}\tapa", draft.id)),
        "{stdout}"
    );
    assert!(exists(&app, &draft.id).await, "a dry run deletes nothing");

    let out = guichet(&["--now", &in_seven]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 suppression"), "{stdout}");
    assert!(!exists(&app, &draft.id).await);
}

on_both_backends!(
    drafts_are_warned_once_then_purged_with_their_files,
    a_draft_touched_after_its_warning_is_kept,
    decided_dossiers_past_retention_are_purged_with_their_files,
    the_purge_command_lists_then_purges,
);
