//! Health data stays in the service that instructs the dossier (security review H1), staff never instruct
//! what they filed (M1), the NIR is shown in full only where it is needed (L8).

use guichet_test_support::{Backend, Browser, TestApp, csrf_token, hidden_value, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;

const PASSWORD: &str = "une phrase de passe solide";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/crates/forms/tests/fixtures/{name}_complete.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Puts a real file in the store, as an upload would; returns its digest.
fn store(app: &TestApp, bytes: &[u8]) -> String {
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let dir = app.data_dir.path().join("fichiers").join(&sha[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), bytes).unwrap();
    sha
}

fn pdftotext(pdf: &[u8]) -> String {
    guichet_test_support::pdftotext(pdf).expect("pdftotext (poppler-utils) is needed by these tests")
}

async fn logged_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let b = Browser::new(app);
    b.login(email, PASSWORD).await;
    b
}

async fn pdf_text(b: &Browser<'_>, path: &str) -> String {
    let r = b.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    pdftotext(&r.bytes().await.unwrap())
}

/// An MDPH request with health answers marked and a real medical certificate; returns (id, cert sha).
async fn mdph_dossier(app: &TestApp, owner: &str) -> (String, String) {
    let cert = store(app, b"%PDF-1.4\ncertificat medical SANTE\n%%EOF\n");
    let mut a = fixture("mdph");
    a["urgence"] = Value::Bool(true);
    a["urgence_motif"] = Value::String("SANTE-MARQUEUR-urgence".into());
    a["projet_de_vie"] = Value::String("SANTE-MARQUEUR-projet".into());
    a["certificat_medical"][0]["id"] = Value::String(cert.clone());
    let (id, _) = app.deposit(owner, "mdph", a).await;
    (id, cert)
}

/// Posts a message with one attached PDF as the usager's browser does (token first).
async fn message_with_file(b: &Browser<'_>, dossier: &str, name: &str, bytes: &[u8]) {
    let token = csrf_token(&b.get_html(&format!("/dossiers/{dossier}")).await).unwrap();
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("message", "Voici le compte rendu de mon médecin")
        .part("piece_jointe", part);
    let r = b
        .client
        .post(b.app.url(&format!("/dossiers/{dossier}/messages")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn reads_listed(usager: &Browser<'_>, dossier: &str) -> String {
    let page = usager.get_html(&format!("/dossiers/{dossier}")).await;
    match page.find("Qui a consulté vos données de santé") {
        Some(i) => page[i..page[i..].find("</ul>").map_or(page.len(), |e| i + e)].to_owned(),
        None => String::new(),
    }
}

async fn health_data_outside_its_service_is_masked_refused_and_every_read_traced(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("b@exemple.fr", PASSWORD, Role::Usager, &[]).await;
    app.create_user("mdph@departement.fr", PASSWORD, Role::Instructeur, &["mdph"])
        .await;
    app.create_user("admin2@departement.fr", PASSWORD, Role::Admin, &[])
        .await;
    let (id, cert) = mdph_dossier(&app, "b@exemple.fr").await;
    let usager = logged_in(&app, "b@exemple.fr").await;
    message_with_file(
        &usager,
        &id,
        "compte-rendu.pdf",
        b"%PDF-1.4\ncompte rendu\n%%EOF\n",
    )
    .await;
    let attachment = {
        let page = usager.get_html(&format!("/dossiers/{id}")).await;
        let start = page.find("/pieces-jointes/").unwrap() + "/pieces-jointes/".len();
        page[start..start + 36].to_owned()
    };

    // An administrator of no service: the page masks, the receipt masks, the files are refused.
    let admin2 = logged_in(&app, "admin2@departement.fr").await;
    let page = admin2.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(page.contains(guichet_forms::SENSITIVE_MASK), "{page}");
    assert!(
        !page.contains("SANTE-MARQUEUR"),
        "health answers leak on the page"
    );
    assert!(
        !page.contains(&format!("/fichiers/{cert}")),
        "no link to the certificate"
    );
    assert!(
        !page.contains("compte rendu de mon médecin"),
        "health correspondence leaks"
    );
    let receipt = pdf_text(&admin2, &format!("/instruction/dossiers/{id}/recepisse.pdf")).await;
    assert!(!receipt.contains("SANTE-MARQUEUR"), "{receipt}");
    assert!(receipt.contains(guichet_forms::SENSITIVE_MASK), "{receipt}");
    for path in [
        format!("/instruction/dossiers/{id}/fichiers/{cert}"),
        format!("/instruction/dossiers/{id}/pieces-jointes/{attachment}"),
    ] {
        let r = admin2.get(&path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "GET {path}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("données de santé") && body.contains("lang=\"fr\""),
            "{body}"
        );
    }
    assert_eq!(reads_listed(&usager, &id).await, "", "admin2 saw no health data");

    // A member of the service who only downloads (no page view): every read is traced for the usager.
    let member = logged_in(&app, "mdph@departement.fr").await;
    let receipt = pdf_text(&member, &format!("/instruction/dossiers/{id}/recepisse.pdf")).await;
    assert!(receipt.contains("SANTE-MARQUEUR-urgence"), "{receipt}");
    let r = member
        .get(&format!("/instruction/dossiers/{id}/fichiers/{cert}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = member
        .get(&format!("/instruction/dossiers/{id}/pieces-jointes/{attachment}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let reads = reads_listed(&usager, &id).await;
    for what in [
        "a consulté le récépissé",
        "a consulté le document « certificat.pdf »",
        "a consulté la pièce jointe « compte-rendu.pdf »",
    ] {
        assert!(reads.contains(what), "{what} missing from {reads}");
    }
    assert!(reads.contains("Camille Test (MDPH)"), "{reads}");
    assert!(
        !reads.contains("a consulté votre dossier"),
        "no page view yet: {reads}"
    );
    let page = member.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(page.contains("SANTE-MARQUEUR-projet"));
    assert!(
        reads_listed(&usager, &id)
            .await
            .contains("a consulté votre dossier")
    );
    // The same download twice the same day is one line, not two.
    member
        .get(&format!("/instruction/dossiers/{id}/fichiers/{cert}"))
        .await;
    assert_eq!(
        reads_listed(&usager, &id).await.matches("certificat.pdf").count(),
        1
    );
}

async fn staff_never_see_or_instruct_what_they_filed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("apa1@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("apa2@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa"])
        .await;
    let (own, number) = app.deposit("apa1@departement.fr", "apa", fixture("apa")).await;
    let me = logged_in(&app, "apa1@departement.fr").await;
    let queue = me.get_html("/instruction").await;
    assert!(
        !queue.contains(&number),
        "one's own request is not in one's queue"
    );
    let csv = me.get_html("/instruction/export.csv").await;
    assert!(!csv.contains(&number));
    let r = me.get(&format!("/instruction/dossiers/{own}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Un ou une collègue du service s’en charge")
    );
    // The usager side stays open to them.
    assert_eq!(me.get(&format!("/dossiers/{own}")).await.status(), StatusCode::OK);

    // A colleague sees and takes it; nobody can hand it back to its filer, not even an administrator.
    let colleague = logged_in(&app, "apa2@departement.fr").await;
    assert!(colleague.get_html("/instruction").await.contains(&number));
    let page = format!("/instruction/dossiers/{own}");
    let version = hidden_value(&colleague.get_html(&page).await, "version").unwrap();
    let r = colleague
        .post_form(
            &page,
            &format!("{page}/actions/prendre"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let filer_id = app
        .pool
        .run(|c| {
            let e = guichet_types::Email::parse("apa1@departement.fr").unwrap();
            guichet_accounts::users::find_by_email(c, &e).map(|u| u.unwrap().id)
        })
        .await
        .unwrap();
    let admin = logged_in(&app, "admin@departement.fr").await;
    let r = admin
        .post_form(
            &page,
            &format!("{page}/affecter"),
            &[("version", &version), ("agent", filer_id.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The domain refuses it too, for every caller (the API and the CLI included).
    let (d, f) = (own.clone(), filer_id.clone());
    let err = app
        .pool
        .run(move |c| {
            use guichet_dossiers::instruction::{Command, act};
            act(
                c,
                &d,
                0,
                guichet_dossiers::Actor::Instructeur,
                &f,
                &Command::Take,
                None,
            )
        })
        .await;
    assert!(
        matches!(err, Err(guichet_dossiers::DossierError::OwnDossier)),
        "{err:?}"
    );

    // The history names the colleague as they were when they acted, whatever they become.
    app.pool
        .run(|c| {
            use diesel::prelude::*;
            use guichet_db::schema::users;
            diesel::update(users::table.filter(users::email.eq("apa2@departement.fr")))
                .set(users::display_name.eq("Nom Changé"))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    let history = admin.get_html(&page).await;
    assert!(
        history.contains("Camille Test (APA) : Prise en charge"),
        "{history}"
    );
}

async fn an_account_that_filed_becomes_staff_only_knowingly(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("fille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa"])
        .await;
    let (_, number) = app.deposit("fille@exemple.fr", "apa", fixture("apa")).await;
    let admin = logged_in(&app, "admin@departement.fr").await;
    let fields = [("email", "fille@exemple.fr"), ("service", "apa")];
    let r = admin.post_form("/admin", "/admin/membres", &fields).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let warning = r.text().await.unwrap();
    assert!(
        warning.contains("Ce compte a déposé au moins une demande"),
        "{warning}"
    );
    let staff_members = || async {
        app.pool
            .run(|c| {
                let s = guichet_accounts::services::find_by_code(c, "apa")?.unwrap();
                guichet_accounts::services::members(c, &s.id)
            })
            .await
            .unwrap()
    };
    assert!(
        !staff_members()
            .await
            .iter()
            .any(|m| m.email == "fille@exemple.fr")
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmer", "1"));
    let r = admin.post_form("/admin", "/admin/membres", &confirmed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        staff_members()
            .await
            .iter()
            .any(|m| m.email == "fille@exemple.fr")
    );
    // Now an agent of the service, she does not see her own request, nor count it.
    let agent = logged_in(&app, "fille@exemple.fr").await;
    let queue = agent.get_html("/instruction").await;
    assert!(queue.contains("Dossiers à instruire"), "{queue}");
    assert!(!queue.contains(&number), "{queue}");
    assert!(queue.contains("À traiter <span"), "{queue}");
    let admin_queue = admin.get_html("/instruction").await;
    assert!(admin_queue.contains(&number));
    let tab = |q: &str| {
        let i = q.find("À traiter").unwrap();
        q[i..i + 80].to_owned()
    };
    assert_ne!(tab(&queue), tab(&admin_queue), "her count leaves her request out");
}

async fn the_nir_is_shown_in_full_only_to_the_service(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("owner@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("apa@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("admin2@departement.fr", PASSWORD, Role::Admin, &[])
        .await;
    let (id, _) = app.deposit("owner@exemple.fr", "apa", fixture("apa")).await;
    const FULL: &str = "2 40 03 69 123 456 30";
    const MASKED: &str = "• •• •• •• ••• 456 30";
    let owner = logged_in(&app, "owner@exemple.fr").await;
    let receipt = pdf_text(&owner, &format!("/dossiers/{id}/recepisse.pdf")).await;
    assert!(
        !receipt.contains("2 40 03 69") && receipt.contains("456 30"),
        "{receipt}"
    );
    let admin2 = logged_in(&app, "admin2@departement.fr").await;
    let page = admin2.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(!page.contains(FULL) && page.contains(MASKED), "{page}");
    let receipt = pdf_text(&admin2, &format!("/instruction/dossiers/{id}/recepisse.pdf")).await;
    assert!(!receipt.contains("2 40 03 69"), "{receipt}");
    let member = logged_in(&app, "apa@departement.fr").await;
    let page = member.get_html(&format!("/instruction/dossiers/{id}")).await;
    assert!(page.contains(FULL), "the service checks it with the CPAM");
}

/// The request of a relative the agent declared, or one made for the agent, goes to a colleague (M1).
async fn staff_never_see_requests_for_themselves_or_a_declared_relative(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("fils@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("apa1@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("apa2@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    // The fixtures' beneficiary is « Jeanne Marie Durand ».
    let (id, number) = app.deposit("fils@exemple.fr", "apa", fixture("apa")).await;
    let agent = logged_in(&app, "apa1@departement.fr").await;
    assert!(agent.get_html("/instruction").await.contains(&number));
    let r = agent
        .post_form("/compte", "/compte/proches", &[("nom", "Jeanne-Marie DURAND")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Typed differently, the same person: hyphen and case aside, names are compared folded.
    let account = agent.get_html("/compte").await;
    assert!(account.contains("Jeanne-Marie DURAND"), "{account}");
    let r = agent
        .post_form("/compte", "/compte/proches", &[("nom", "jeanne marie durand")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let account = agent.get_html("/compte").await;
    assert_eq!(
        account.matches("name=\"nom_plie\"").count(),
        1,
        "one person, declared twice"
    );
    let queue = agent.get_html("/instruction").await;
    assert!(!queue.contains(&number), "{queue}");
    assert!(!agent.get_html("/instruction/export.csv").await.contains(&number));
    let r = agent.get(&format!("/instruction/dossiers/{id}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("un proche que vous avez déclaré")
    );
    let colleague = logged_in(&app, "apa2@departement.fr").await;
    assert!(colleague.get_html("/instruction").await.contains(&number));
    assert_eq!(
        colleague
            .get(&format!("/instruction/dossiers/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    // Withdrawn, the request is theirs to see again.
    let account = agent.get_html("/compte").await;
    let folded = hidden_value(&account, "nom_plie").unwrap();
    let r = agent
        .post_form("/compte", "/compte/proches/retirer", &[("nom_plie", &folded)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(agent.get_html("/instruction").await.contains(&number));

    // A request made for the agent, by someone else: an agent named like its beneficiary never opens it.
    app.pool
        .run(|c| {
            use diesel::prelude::*;
            use guichet_db::schema::users;
            diesel::update(users::table.filter(users::email.eq("apa2@departement.fr")))
                .set(users::display_name.eq("Jeanne Marie Durand"))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(
        colleague
            .get(&format!("/instruction/dossiers/{id}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Usagers have no such list.
    let usager = logged_in(&app, "fils@exemple.fr").await;
    let r = usager
        .post_form("/compte", "/compte/proches", &[("nom", "Quelqu’un")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

on_both_backends!(
    staff_never_see_requests_for_themselves_or_a_declared_relative,
    health_data_outside_its_service_is_masked_refused_and_every_read_traced,
    staff_never_see_or_instruct_what_they_filed,
    an_account_that_filed_becomes_staff_only_knowingly,
    the_nir_is_shown_in_full_only_to_the_service,
);
