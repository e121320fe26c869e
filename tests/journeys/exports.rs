//! Exports of the back office read back as a spreadsheet program reads them (calamine): French headers,
//! one column per answer for a view of one procedure, dates as dates, amounts as numbers, no health data,
//! only the agent's services, the same three formats for the same view.

use calamine::{Data, Reader};
use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends};
use guichet_types::{Role, ServiceRole};
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

/// The first sheet of a workbook as rows of cells.
fn sheet(bytes: Vec<u8>, ods: bool) -> Vec<Vec<Data>> {
    let cursor = std::io::Cursor::new(bytes);
    let range = if ods {
        calamine::Ods::new(cursor)
            .unwrap()
            .worksheet_range_at(0)
            .unwrap()
            .unwrap()
    } else {
        calamine::Xlsx::new(cursor)
            .unwrap()
            .worksheet_range_at(0)
            .unwrap()
            .unwrap()
    };
    range.rows().map(<[Data]>::to_vec).collect()
}

fn column(rows: &[Vec<Data>], header: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| *h == header)
        .unwrap_or_else(|| panic!("no column « {header} » in {:?}", rows[0]))
}

async fn download(b: &Browser<'_>, path: &str) -> Vec<u8> {
    let r = b.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

async fn a_one_procedure_view_exports_every_answer_typed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.member("lecteur@departement.fr", PASSWORD, "apa", ServiceRole::Lecteur)
        .await;
    let mut numbers = Vec::new();
    for _ in 0..2 {
        numbers.push(app.deposit("famille@exemple.fr", "apa", fixture("apa")).await.1);
    }
    let mut formula = fixture("apa");
    formula["adresse"] = Value::from("=HYPERLINK(\"http://exemple.test\")");
    numbers.push(app.deposit("famille@exemple.fr", "apa", formula).await.1);
    let (_, mdph_number) = app.deposit("famille@exemple.fr", "mdph", fixture("mdph")).await;

    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    // The queue offers the three formats of the view it shows.
    let page = agent.get_html("/instruction?procedure=apa").await;
    for ext in ["xlsx", "ods", "csv"] {
        assert!(page.contains(&format!("/instruction/export.{ext}?")), "{ext}");
    }
    assert!(page.contains("avec toutes les réponses"));

    let xlsx = sheet(
        download(&agent, "/instruction/export.xlsx?procedure=apa").await,
        false,
    );
    let ods = sheet(
        download(&agent, "/instruction/export.ods?procedure=apa").await,
        true,
    );
    for rows in [&xlsx, &ods] {
        assert_eq!(rows.len(), 4, "a header and three dossiers");
        let headers: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
        for h in [
            "Numéro",
            "Bénéficiaire",
            "Déposé le",
            "Échéance",
            "Affecté à",
            "Droits demandés et décisions",
        ] {
            assert!(headers.iter().any(|x| x == h), "{h} in {headers:?}");
        }
        // Health data stays out (the APA's autonomy questions are sensitive).
        assert!(
            !headers.iter().any(|h| h.contains("se lever seule")),
            "{headers:?}"
        );
        let numero = column(rows, "Numéro");
        let listed: Vec<String> = rows[1..].iter().map(|r| r[numero].to_string()).collect();
        for n in &numbers {
            assert!(listed.contains(n), "{n} in {listed:?}");
        }
        assert!(!listed.contains(&mdph_number));
        let deposited = column(rows, "Déposé le");
        assert!(
            rows[1..]
                .iter()
                .all(|r| matches!(r[deposited], Data::DateTime(_) | Data::DateTimeIso(_))),
            "dates as dates: {:?}",
            rows[1][deposited]
        );
        // An amount is a number in euros.
        let income = rows[0]
            .iter()
            .position(|h| h.to_string().starts_with("Revenu fiscal de référence"))
            .expect("an income column");
        assert!(
            matches!(rows[1][income], Data::Float(f) if (f - 18_500.0).abs() < 0.01),
            "{:?}",
            rows[1][income]
        );
        // A text that looks like a formula is a text.
        let formula = Data::String("=HYPERLINK(\"http://exemple.test\")".into());
        assert!(
            rows[1..].iter().any(|r| r.contains(&formula)),
            "the address as a text"
        );
        let assignee = column(rows, "Affecté à");
        assert!(rows[1..].iter().all(|r| r[assignee] == "personne"));
    }

    // CSV: the same view, with French headers and labels, formulas defused.
    let csv = String::from_utf8(download(&agent, "/instruction/export.csv?procedure=apa").await).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("\u{feff}Numéro;Démarche;Bénéficiaire"),
        "{header}"
    );
    assert!(csv.contains("Envoyé : en attente de prise en charge"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(&mdph_number));

    // A reader may export what they read; an unknown format is not found; a usager is refused.
    let reader = Browser::new(&app);
    reader.login("lecteur@departement.fr", PASSWORD).await;
    let rows = sheet(
        download(&reader, "/instruction/export.ods?procedure=apa").await,
        true,
    );
    assert_eq!(rows.len(), 4);
    assert_eq!(
        agent.get("/instruction/export.pdf").await.status(),
        StatusCode::NOT_FOUND
    );
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    assert_eq!(
        usager.get("/instruction/export.xlsx").await.status(),
        StatusCode::FORBIDDEN
    );

    // A view of several procedures has the queue's columns only.
    let all = sheet(download(&agent, "/instruction/export.xlsx").await, false);
    assert_eq!(all[0].len(), 9, "{:?}", all[0]);
}

async fn the_documents_of_a_dossier_come_in_one_zip(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("mdph@departement.fr", PASSWORD, Role::Instructeur, &["mdph"])
        .await;
    let mut answers = fixture("apa");
    answers["piece_identite"] = app.stored_file(&"a".repeat(64), "cni.pdf", b"%PDF-1.4 identite");
    // The same name twice, and a file the store lost: the archive still opens and says what is missing.
    answers["avis_imposition"] = serde_json::json!([
        app.stored_file(&"b".repeat(64), "cni.pdf", b"%PDF-1.4 impots")[0].clone(),
        { "id": "c".repeat(64), "name": "perdu.pdf", "size": 10, "content_type": "application/pdf" },
    ]);
    let (id, number) = app.deposit("famille@exemple.fr", "apa", answers).await;
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    let page = agent
        .get_html(&format!("/instruction/dossiers/{id}?section=pieces"))
        .await;
    assert!(
        page.contains(&format!("/instruction/dossiers/{id}/pieces.zip")),
        "{page}"
    );
    let r = agent.get(&format!("/instruction/dossiers/{id}/pieces.zip")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("pieces-{number}.zip"))
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let readme = read(&mut zip, "LISEZMOI.txt");
    assert!(readme.contains("perdu.pdf (fichier introuvable)"), "{readme}");
    let mut contents: Vec<String> = names
        .iter()
        .filter(|n| n.ends_with("cni.pdf"))
        .map(|n| read(&mut zip, n))
        .collect();
    contents.sort();
    assert_eq!(contents, ["%PDF-1.4 identite", "%PDF-1.4 impots"], "{names:?}");
    // Another service's agent does not learn the dossier exists.
    let other = Browser::new(&app);
    other.login("mdph@departement.fr", PASSWORD).await;
    assert_eq!(
        other
            .get(&format!("/instruction/dossiers/{id}/pieces.zip"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// An agent keeps views of the queue under a name, and chooses the columns of a procedure's exports.
async fn an_agent_keeps_views_and_export_columns(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("collegue@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let (_, number) = app.deposit("famille@exemple.fr", "apa", fixture("apa")).await;
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;

    // A view saved from the queue comes back as a link above the tabs, current when shown.
    let view = "/instruction?onglet=a-traiter&procedure=apa&tri=beneficiaire&ordre=desc";
    let r = agent
        .post_form(
            view,
            "/instruction/vues",
            &[
                ("nom", "APA par nom"),
                (
                    "vue",
                    "onglet=a-traiter&procedure=apa&tri=beneficiaire&ordre=desc&<script>=1",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = agent.get_html(view).await;
    assert!(page.contains(">APA par nom</a>"), "{page}");
    assert!(
        page.contains("aria-current=\"page\">APA par nom"),
        "the current view is marked"
    );
    assert!(
        !page.contains("&lt;script&gt;") && !page.contains("%3Cscript"),
        "only the queue's parameters are kept"
    );
    // A view without a name is refused with the reason; a colleague does not see the agent's views.
    let r = agent
        .post_form(
            view,
            "/instruction/vues",
            &[("nom", "  "), ("vue", "onglet=traites")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("Donnez un nom à cette vue"));
    let colleague = Browser::new(&app);
    colleague.login("collegue@departement.fr", PASSWORD).await;
    assert!(!colleague.get_html("/instruction").await.contains("APA par nom"));
    // Deleted, it is gone.
    let id = {
        let start = page.find("/instruction/vues/").unwrap() + "/instruction/vues/".len();
        page[start..start + page[start..].find('/').unwrap()].to_owned()
    };
    let r = agent
        .post_form(view, &format!("/instruction/vues/{id}/supprimer"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!agent.get_html("/instruction").await.contains("APA par nom"));

    // Export columns: the page lists every column of the procedure, all ticked at first.
    let page = agent.get_html("/instruction?procedure=apa").await;
    assert!(
        page.contains("/instruction/export/colonnes?procedure=apa"),
        "{page}"
    );
    let columns = agent
        .get_html("/instruction/export/colonnes?procedure=apa&vue=procedure%3Dapa")
        .await;
    assert!(columns.contains("value=\"numero\" checked") && columns.contains("value=\"echeance\" checked"));
    let r = agent
        .post_form(
            "/instruction/export/colonnes?procedure=apa",
            "/instruction/export/colonnes",
            &[
                ("procedure", "apa"),
                ("vue", "procedure=apa"),
                ("colonne", "echeance"),
                ("colonne", "numero"),
                ("colonne", "pas-une-colonne"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rows = sheet(
        download(&agent, "/instruction/export.xlsx?procedure=apa").await,
        false,
    );
    assert_eq!(
        rows[0],
        [Data::String("Numéro".into()), Data::String("Échéance".into())]
    );
    assert_eq!(rows[1][0], Data::String(number.clone()));
    // The colleague's exports keep every column; another service's procedure does not exist for the agent.
    let rows = sheet(
        download(&colleague, "/instruction/export.xlsx?procedure=apa").await,
        false,
    );
    assert!(rows[0].len() > 20);
    assert_eq!(
        agent
            .get("/instruction/export/colonnes?procedure=mdph")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Ticking nothing goes back to every column.
    agent
        .post_form(
            "/instruction/export/colonnes?procedure=apa",
            "/instruction/export/colonnes",
            &[("procedure", "apa"), ("vue", "procedure=apa")],
        )
        .await;
    let rows = sheet(
        download(&agent, "/instruction/export.xlsx?procedure=apa").await,
        false,
    );
    assert!(rows[0].len() > 20);
}

async fn a_long_export_is_written_in_the_background_for_its_agent_alone(backend: Backend) {
    // Past two dossiers, for the test (20 000 by default).
    let Some(app) = TestApp::spawn_with(backend, |c| c.export_background_rows = 2).await else {
        return;
    };
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("collegue@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(app.deposit("famille@exemple.fr", "apa", fixture("apa")).await.1);
    }
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    // Two dossiers: at once, as before.
    let r = agent
        .get(&format!("/instruction/export.xlsx?recherche={}", numbers[0]))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Three: to « Mes exports », where the file shows once written.
    let r = agent.get("/instruction/export.xlsx?procedure=apa").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(at.starts_with("/instruction/exports?nouveau="), "{at}");
    let mut page = String::new();
    for _ in 0..100 {
        page = agent.get_html(&at).await;
        if page.contains("Prêt : 3 dossiers") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        page.contains("Prêt : 3 dossiers") && page.contains("préparé en arrière-plan"),
        "{page}"
    );
    let start = page.find("href=\"/instruction/exports/").unwrap() + "href=\"".len();
    let link = page[start..start + page[start..].find('"').unwrap()].to_owned();
    let rows = sheet(download(&agent, &link).await, false);
    assert_eq!(rows.len(), 4, "a header and the three dossiers");
    let n = column(&rows, "Numéro");
    let mut got: Vec<String> = rows[1..].iter().map(|r| r[n].to_string()).collect();
    got.sort();
    numbers.sort();
    assert_eq!(got, numbers);
    // Nobody else downloads it, not even a colleague of the service.
    let colleague = Browser::new(&app);
    colleague.login("collegue@departement.fr", PASSWORD).await;
    assert_eq!(colleague.get(&link).await.status(), StatusCode::NOT_FOUND);
    assert!(!colleague.get_html("/instruction/exports").await.contains(&link));
    // A CSV the same way: its file holds the same dossiers.
    let r = agent.get("/instruction/export.csv?procedure=apa").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut csv_link = None;
    for _ in 0..100 {
        let page = agent.get_html("/instruction/exports").await;
        if let Some(i) = page.find("l’export CSV") {
            let before = &page[..i];
            let s = before.rfind("href=\"").unwrap() + "href=\"".len();
            csv_link = Some(before[s..s + before[s..].find('"').unwrap()].to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let csv = String::from_utf8(download(&agent, &csv_link.expect("the CSV is offered")).await).unwrap();
    assert!(numbers.iter().all(|n| csv.contains(n.as_str())), "{csv}");
}

on_both_backends!(
    a_one_procedure_view_exports_every_answer_typed,
    the_documents_of_a_dossier_come_in_one_zip,
    an_agent_keeps_views_and_export_columns,
    a_long_export_is_written_in_the_background_for_its_agent_alone
);
