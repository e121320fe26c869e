//! Renewals: an MDPH right granted until a date; six months before (the procedure's `[renewal]`) the
//! reminder is emailed once, with a copy to the beneficiary the dossier is shared with; the dossier page
//! offers « Renouveler ma demande », which opens a draft prefilled from the last request, its documents
//! from « Mes documents » when still valid, naming the steps to check. The clock is moved by dating the
//! right's end, and the reminder task runs for the day.

use chrono::{Duration, Months, NaiveDate};
use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";
const USAGER: &str = "claire.durand@exemple.fr";
const MERE: &str = "jeanne.durand@exemple.fr";

/// Records the dossier decided, its first right granted until `end` (what the CDAPH's decision writes).
async fn granted_until(app: &TestApp, id: &str, end: NaiveDate) {
    let id = id.to_owned();
    app.pool
        .run(move |c| {
            use diesel::prelude::*;
            use guichet_db::schema::{dossier_rights as r, dossiers as d};
            let first: String = r::table
                .filter(r::dossier_id.eq(&id))
                .order(r::position.asc())
                .select(r::id)
                .first(c)?;
            diesel::update(r::table.filter(r::id.eq(first)))
                .set((r::outcome.eq(Some("accord")), r::period_end.eq(Some(end))))
                .execute(c)?;
            diesel::update(d::table.filter(d::id.eq(&id)))
                .set((d::state.eq("decide"), d::decided_at.eq(Some(guichet_db::now()))))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
}

async fn send_due(app: &TestApp, today: NaiveDate) -> usize {
    let (links, procedures) = (app.state.links(), app.state.procedures.clone());
    app.pool
        .run(move |c| guichet_usecases::renewals::send_due(c, &links, &procedures, today))
        .await
        .unwrap()
}

async fn a_right_that_ends_is_renewed_from_the_reminder(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(USAGER, PASSWORD, Role::Usager, &[]).await;
    app.create_user(MERE, PASSWORD, Role::Usager, &[]).await;
    app.create_user("autre@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let today = chrono::Utc::now().date_naive();
    let mut answers = fixture("mdph");
    answers["piece_identite"] = app.stored_file(&"9".repeat(64), "cni.pdf", b"%PDF-1.4 cni");
    let (id, number) = app.deposit(USAGER, "mdph", answers).await;
    let end = today.checked_add_months(Months::new(8)).unwrap();
    granted_until(&app, &id, end).await;
    let b = Browser::new(&app);
    b.login(USAGER, PASSWORD).await;
    // Eight months ahead: too early for the reminder, no « Renouveler ».
    assert_eq!(send_due(&app, today).await, 0);
    assert!(
        !b.get_html(&format!("/dossiers/{id}"))
            .await
            .contains("Renouveler ma demande")
    );
    let r = b
        .post_form(
            &format!("/dossiers/{id}"),
            &format!("/dossiers/{id}/renouveler"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "not offered yet");

    // Shared with the beneficiary, who gets the reminder's copy.
    let share = format!("/dossiers/{id}/acces");
    let r = b
        .post_form(
            &share,
            &share,
            &[("acces-email", MERE), ("acces-role", "beneficiaire")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mail = app.wait_for_email(MERE, "vous donne accès").await;
    let link = guichet_test_support::find_link(&mail.body, &app.state.settings.public_url).unwrap();
    let link = link
        .trim_start_matches(app.state.settings.public_url.trim_end_matches('/'))
        .to_owned();
    let mere = Browser::new(&app);
    mere.login(MERE, PASSWORD).await;
    assert_eq!(
        mere.post_form(&link, &link, &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    // Six months before the end (the clock moved two months on): the reminder, once.
    let later = end.checked_sub_months(Months::new(6)).unwrap();
    assert_eq!(send_due(&app, later - Duration::days(1)).await, 0);
    assert_eq!(send_due(&app, later).await, 1);
    assert_eq!(send_due(&app, later + Duration::days(1)).await, 0, "never twice");
    let reminder = app.wait_for_email(USAGER, "pensez à renouveler").await;
    assert!(
        reminder.body.contains(&guichet_forms::french_date(end))
            && reminder.body.contains(&format!("/dossiers/{id}")),
        "{}",
        reminder.body
    );
    app.wait_for_email(MERE, "pensez à renouveler").await;

    // The dossier page offers the renewal once the reminder's day has come.
    granted_until(&app, &id, today.checked_add_months(Months::new(5)).unwrap()).await;
    let page = b.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Renouveler ma demande") && page.contains("Pensez à renouveler"),
        "{page}"
    );
    assert!(
        !mere
            .get_html(&format!("/dossiers/{id}"))
            .await
            .contains("Renouveler ma demande"),
        "only the filer renews"
    );
    let autre = Browser::new(&app);
    autre.login("autre@exemple.fr", PASSWORD).await;
    let r = autre
        .post_form("/mes-dossiers", &format!("/dossiers/{id}/renouveler"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = b
        .post_form(
            &format!("/dossiers/{id}"),
            &format!("/dossiers/{id}/renouveler"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(first.contains("renouvellement="), "{first}");
    let draft = first.split('/').nth(2).unwrap().to_owned();
    assert_ne!(draft, id);
    let page = b.get_html(&first).await;
    assert!(
        page.contains(&format!("reprend les réponses de votre demande {number}"))
            && page.contains("Vérifiez en particulier : « "),
        "the steps to check are named: {page}"
    );
    let renewed = app.dossier(&draft).await;
    let old = app.dossier(&id).await;
    assert_eq!(renewed.answers["nom_naissance"], old.answers["nom_naissance"]);
    assert_eq!(renewed.answers["adresse"], old.answers["adresse"]);
    // The identity card comes back from « Mes documents »; the commitments are made again.
    assert_eq!(renewed.answers["piece_identite"][0]["id"], "9".repeat(64));
    assert!(renewed.answers["piece_identite"][0]["vault"].is_string());
    assert!(renewed.answers.get("certification").is_none() || renewed.answers["certification"].is_null());
    let kinds: Vec<String> = app
        .pool
        .run({
            let draft = draft.clone();
            move |c| guichet_dossiers::store::events(c, &draft, true)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"renewal_of".to_owned()), "{kinds:?}");
}

on_both_backends!(a_right_that_ends_is_renewed_from_the_reminder);
