//! The instructors' queue: several values per filter, words in any order, sortable columns, who filed
//! and who is assigned (« personne » when nobody).

use diesel::prelude::*;
use guichet_test_support::{Backend, Browser, TestApp, on_both_backends};
use guichet_types::Role;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn answers(procedure: &str) -> Value {
    serde_json::from_str(match procedure {
        "apa" => include_str!("../../crates/forms/tests/fixtures/apa_complete.json"),
        _ => include_str!("../../crates/forms/tests/fixtures/mdph_complete.json"),
    })
    .unwrap()
}

/// Gives a deposited dossier another beneficiary (the fixture's is always the same person).
async fn rename(app: &TestApp, id: &str, name: &str, deposited_days_ago: i64) {
    let (id, name) = (id.to_owned(), name.to_owned());
    app.pool
        .run(move |c| {
            use guichet_db::schema::dossiers as d;
            let number: Option<String> = d::table.find(&id).select(d::number).first(c)?;
            let number = number.map(|n| guichet_types::DossierNumber::parse(&n).unwrap());
            diesel::update(d::table.find(&id))
                .set((
                    d::applicant_name.eq(&name),
                    d::search_key.eq(guichet_dossiers::store::search_key(&name, number.as_ref(), "")),
                    d::deposited_at.eq(guichet_db::now() - chrono::Duration::days(deposited_days_ago)),
                ))
                .execute(c)?;
            Ok::<_, guichet_db::DbError>(())
        })
        .await
        .unwrap();
}

/// The numbers of the queue page's rows, in order.
fn numbers(html: &str) -> Vec<String> {
    html.split("data-label=\"Numéro\"")
        .skip(1)
        .filter_map(|row| {
            let start = row.find('>')? + 1;
            let link = &row[start..];
            let text_start = link.find('>')? + 1;
            let end = link[text_start..].find('<')?;
            Some(link[text_start..text_start + end].to_owned())
        })
        .collect()
}

async fn filters_search_and_sort(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user(
        "agent@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["apa", "mdph"],
    )
    .await;
    let (a1, n1) = app.deposit("famille@exemple.fr", "apa", answers("apa")).await;
    let (a2, n2) = app.deposit("famille@exemple.fr", "apa", answers("apa")).await;
    let (m1, n3) = app.deposit("famille@exemple.fr", "mdph", answers("mdph")).await;
    rename(&app, &a1, "Jeanne Durand", 10).await;
    rename(&app, &a2, "Hélène Dupré", 30).await;
    rename(&app, &m1, "Marc Durand", 20).await;

    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;

    // Words in any order, accents and case folded.
    let page = agent.get_html("/instruction?recherche=durand+JEANNE").await;
    assert_eq!(numbers(&page), [n1.as_str()], "{page}");
    let page = agent.get_html("/instruction?recherche=helene+dupre").await;
    assert_eq!(numbers(&page), [n2.as_str()]);

    // Several procedures at once; one alone.
    let page = agent.get_html("/instruction?procedure=apa&procedure=mdph").await;
    assert_eq!(numbers(&page).len(), 3);
    let page = agent.get_html("/instruction?procedure=mdph").await;
    assert_eq!(numbers(&page), [n3.as_str()]);

    // Sorted by deposit date, both ways; the sorted header says so.
    let page = agent.get_html("/instruction?tri=depot&ordre=asc").await;
    assert_eq!(numbers(&page), [n2.as_str(), n3.as_str(), n1.as_str()]);
    assert!(page.contains("aria-sort=\"ascending\""), "{page}");
    let page = agent.get_html("/instruction?tri=depot&ordre=desc").await;
    assert_eq!(numbers(&page), [n1.as_str(), n3.as_str(), n2.as_str()]);
    assert!(page.contains("aria-sort=\"descending\""));

    // Nobody is assigned yet: « personne », and the filer is named beside the beneficiary.
    assert!(page.contains(">personne<"), "{page}");
    assert!(page.contains("déposé par Camille Test"), "{page}");

    // Take one: it leaves the « nobody » filter and is found under its assignee.
    let dossier = format!("/instruction/dossiers/{a1}");
    let r = agent
        .post_versioned(&dossier, &format!("{dossier}/actions/prendre"), &[])
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let page = agent
        .get_html("/instruction?onglet=en-instruction&agent=personne")
        .await;
    assert!(numbers(&page).is_empty(), "{page}");
    let page = agent.get_html("/instruction?onglet=en-instruction").await;
    assert_eq!(numbers(&page), [n1.as_str()], "{page}");
    assert!(page.contains("moi"));

    // An unknown sort or a garbled page number falls back to the default order, never an error.
    let r = agent.get("/instruction?tri=%27%3B--&ordre=x&page=-4").await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
}

async fn the_procedure_filter_offers_only_the_agents_services(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("agent.apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let agent = Browser::new(&app);
    agent.login("agent.apa@departement.fr", PASSWORD).await;
    let page = agent.get_html("/instruction").await;
    assert!(page.contains("value=\"apa\""), "{page}");
    assert!(
        !page.contains("value=\"mdph\"") && !page.contains("value=\"pch\""),
        "{page}"
    );
}

/// The id of the account with this address.
async fn user_id(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    app.pool
        .run(move |c| {
            let e = guichet_types::Email::parse(&email).unwrap();
            guichet_accounts::users::find_by_email(c, &e).map(|u| u.unwrap().id)
        })
        .await
        .unwrap()
}

/// The row of the queue page that shows this dossier number.
fn row_of<'a>(html: &'a str, number: &str) -> &'a str {
    let at = html.find(&format!(">{number}<")).expect("the dossier's row");
    let end = html[at..].find("</tr>").map_or(html.len(), |e| at + e);
    &html[at..end]
}

async fn flags_the_filer_s_name_and_the_services(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user(
        "agent@departement.fr",
        PASSWORD,
        Role::Instructeur,
        &["apa", "mdph"],
    )
    .await;
    let expert = app
        .member(
            "medecin@departement.fr",
            PASSWORD,
            "apa",
            guichet_types::ServiceRole::Expert,
        )
        .await;
    let (a1, n1) = app.deposit("famille@exemple.fr", "apa", answers("apa")).await;
    let (m1, n3) = app.deposit("famille@exemple.fr", "mdph", answers("mdph")).await;
    rename(&app, &m1, "Marc Durand", 20).await;
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;

    // Found under the name of the person who filed it (Camille Test), in any word order; renamed in the
    // test without a filer, the other one is not.
    let page = agent.get_html("/instruction?recherche=test+camille").await;
    assert_eq!(numbers(&page), [n1.as_str()], "{page}");

    // The services the agent belongs to are a filter of their own.
    let page = agent.get_html("/instruction").await;
    assert!(page.contains("Services et territoires"), "{page}");
    let page = agent.get_html("/instruction?service=mdph").await;
    assert_eq!(numbers(&page), [n3.as_str()]);
    let page = agent.get_html("/instruction?service=mdph&service=apa").await;
    assert_eq!(numbers(&page).len(), 2);

    // The usager writes: « Nouveau message » until an agent answers.
    let owner = user_id(&app, "famille@exemple.fr").await;
    let me = user_id(&app, "agent@departement.fr").await;
    let post = |author: String, staff: bool, text: &'static str| {
        let id = a1.clone();
        app.pool.run(move |c| {
            guichet_dossiers::instruction::post_message(c, &id, &author, staff, text, &[], None)
        })
    };
    post(owner.clone(), false, "J’ai une question sur ma demande.")
        .await
        .unwrap();
    let page = agent.get_html("/instruction").await;
    assert!(row_of(&page, &n1).contains("Nouveau message"), "{page}");
    assert!(!row_of(&page, &n3).contains("Nouveau message"));
    post(me.clone(), true, "Voici la réponse.").await.unwrap();
    let page = agent.get_html("/instruction").await;
    assert!(!row_of(&page, &n1).contains("Nouveau message"), "{page}");

    // An expert answers: « Avis reçu » until an agent acts on the dossier (here, a note).
    let (id, asker, who) = (a1.clone(), me.clone(), expert.clone());
    let o = app
        .pool
        .run(move |c| {
            guichet_dossiers::opinions::ask(
                c,
                &guichet_dossiers::opinions::Ask {
                    dossier_id: &id,
                    service_code: "apa",
                    asked_by: &asker,
                    expert: guichet_dossiers::opinions::Expert::Member(&who),
                    question: "GIR 3 ?",
                    documents: &[],
                    due_on: chrono::Utc::now().date_naive(),
                },
            )
        })
        .await
        .unwrap();
    let page = agent.get_html("/instruction").await;
    assert!(!row_of(&page, &n1).contains("Avis reçu"), "asked, not answered");
    let who = expert.clone();
    app.pool
        .run(move |c| guichet_dossiers::opinions::answer(c, &o.id, &who, "Oui."))
        .await
        .unwrap();
    let page = agent.get_html("/instruction").await;
    assert!(row_of(&page, &n1).contains("Avis reçu"), "{page}");
    let id = a1.clone();
    app.pool
        .run(move |c| guichet_dossiers::instruction::add_note(c, &id, &me, "Avis lu, GIR 3 retenu."))
        .await
        .unwrap();
    let page = agent.get_html("/instruction").await;
    assert!(!row_of(&page, &n1).contains("Avis reçu"), "{page}");
}

/// Moves a deposited dossier to another state and due date, as instruction would have (the counters follow
/// through their triggers).
async fn place(app: &TestApp, id: &str, state: &str, due_in_days: i64) {
    let (id, state) = (id.to_owned(), state.to_owned());
    app.pool
        .run(move |c| {
            use guichet_db::schema::dossiers as d;
            diesel::update(d::table.find(&id))
                .set((
                    d::state.eq(&state),
                    d::due_at.eq(guichet_db::now() + chrono::Duration::days(due_in_days)),
                    d::deposited_at.eq(guichet_db::now() - chrono::Duration::days(due_in_days)),
                ))
                .execute(c)?;
            Ok::<_, guichet_db::DbError>(())
        })
        .await
        .unwrap();
}

/// Several states at once (« Tous » and its « États » filter): one list in the view's order across the
/// states, pages that neither skip nor repeat a dossier, the count of the chosen states, the other tabs'
/// links without the states.
async fn several_states_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.family_and_agent(PASSWORD, &["apa"]).await;
    // 56 dossiers, every other one in instruction, due one day apart: the order alternates the states.
    let mut by_due = Vec::new();
    for i in 0..56 {
        let (id, number) = app.deposit("famille@exemple.fr", "apa", answers("apa")).await;
        let state = if i % 2 == 0 { "en_instruction" } else { "depose" };
        place(&app, &id, state, i + 1).await;
        by_due.push(number);
    }
    let (decided, _) = app.deposit("famille@exemple.fr", "apa", answers("apa")).await;
    place(&app, &decided, "sans_suite", 1).await;
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;

    let view = "/instruction?onglet=a-traiter&etat=a-traiter&etat=en-instruction";
    let page = agent.get_html(view).await;
    assert_eq!(numbers(&page), by_due[..50], "{page}");
    assert!(
        page.contains("Tous <span class=\"compteur\">(56)</span>"),
        "{page}"
    );
    assert!(
        page.contains("aria-current=\"page\" class=\"onglet--actif\">Tous"),
        "{page}"
    );
    assert!(page.contains("value=\"en-instruction\" checked"), "{page}");
    assert!(!page.contains("value=\"traites\" checked"), "{page}");
    assert!(page.contains("href=\"/instruction?onglet=traites\""), "{page}");
    // The next page starts after the last row, whichever state it was in.
    let next = page
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("apres_id"))
        .expect("a next page")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let page = agent.get_html(&next).await;
    assert_eq!(numbers(&page), by_due[50..], "{page}");

    // Sorted by another column, paged by offset: page 2 is the rest of the same order.
    let mut newest = by_due.clone();
    newest.reverse();
    let sorted = format!("{view}&tri=depot&ordre=asc");
    assert_eq!(numbers(&agent.get_html(&sorted).await), newest[..50]);
    let page = agent.get_html(&format!("{sorted}&page=1")).await;
    assert_eq!(numbers(&page), newest[50..], "{page}");

    // « Tous » without a choice: every state, the decided one too; one state alone is that tab's list.
    let page = agent.get_html("/instruction?onglet=tous").await;
    assert!(
        page.contains("Tous <span class=\"compteur\">(57)</span>"),
        "{page}"
    );
    let page = agent.get_html("/instruction?etat=traites").await;
    assert_eq!(numbers(&page).len(), 1, "{page}");
    // An unknown state is left out, never an error: the default tab.
    let page = agent.get_html("/instruction?etat=%27%3B--").await;
    assert!(
        page.contains("aria-current=\"page\" class=\"onglet--actif\">À traiter"),
        "{page}"
    );

    // The export of the view holds the chosen states' dossiers and no other.
    let csv = agent
        .get("/instruction/export.csv?onglet=tous&etat=a-traiter&etat=traites")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1 + 28 + 1, "{csv}");
}

on_both_backends!(
    filters_search_and_sort,
    the_procedure_filter_offers_only_the_agents_services,
    flags_the_filer_s_name_and_the_services,
    several_states_at_once
);
