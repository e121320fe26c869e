//! The legal notice and the accessibility statement: every item the law asks for, filled from the
//! `[mentions]` settings, « non renseigné » where a setting is missing.

use guichet_test_support::{Backend, Browser, TestApp, on_both_backends};
use guichet_types::Role;
use guichet_web::mentions::Mentions;

fn complete() -> Mentions {
    let v = |s: &str| Some(s.to_owned());
    let l = |items: &[&str]| Some(items.iter().map(|s| (*s).to_owned()).collect());
    Mentions {
        director: v("Nadia Kaci, présidente du conseil départemental"),
        host_name: v("Hébergeur Public SAS"),
        host_address: v("12 rue des Serveurs, 93200 Saint-Denis"),
        host_phone: v("01 49 00 00 01"),
        dpo_email: v("dpo@departement.example.fr"),
        dpo_address: v("Délégué à la protection des données, 93006 Bobigny Cedex"),
        statement_date: v("2026-12-01"),
        audit_date: v("2026-11-02"),
        audit_by: v("Audit Accessible SARL"),
        audit_rate: Some(72.5),
        pages_audited: l(&["Accueil", "Mentions légales"]),
        non_conformities: l(&["Critère 3.2 : contraste du pied de page insuffisant"]),
        derogations: l(&["Vidéos d’archives de 2015 : sous-titrage en cours"]),
        non_subject: l(&["Pièces justificatives déposées par les usagers"]),
        technologies: None,
        test_environment: l(&["NVDA 2024.4 et Firefox 128", "VoiceOver et Safari 18"]),
        tools: l(&["Colour Contrast Analyser"]),
        multi_year_plan_url: v("https://departement.example.fr/schema-accessibilite"),
        accessibility_email: v("accessibilite@departement.example.fr"),
    }
}

async fn the_legal_notice_names_publisher_director_host_and_data_protection(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.mentions = complete()).await else {
        return;
    };
    let legal = app.get_html("/mentions-legales").await;
    for expected in [
        // Publisher, with its address (LCEN art. 6 III 1° a/b).
        "Ce site est édité par Département de démonstration",
        "99000 Démoville",
        // Director of publication and host (1° c, d).
        "Nadia Kaci, présidente du conseil départemental",
        "Nom : Hébergeur Public SAS",
        "Adresse : 12 rue des Serveurs, 93200 Saint-Denis",
        "Téléphone : 01 49 00 00 01",
        // RGPD art. 13: controller, DPO, purposes, legal bases, retention, rights, CNIL.
        "Le responsable du traitement est Département de démonstration",
        "mailto:dpo@departement.example.fr",
        "93006 Bobigny Cedex",
        "À quoi servent vos données",
        "article 6.1 e et c du règlement général sur la protection des données",
        "article 9.2 b et h",
        "un brouillon est supprimé après 6 mois sans modification",
        "conservée 5 ans après la décision",
        "demander leur effacement",
        "Commission nationale de l’informatique et des libertés",
        "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07",
    ] {
        assert!(legal.contains(expected), "{expected:?} missing:\n{legal}");
    }
    assert!(!legal.contains("non renseigné"), "{legal}");

    let a11y = app.get_html("/accessibilite").await;
    for expected in [
        "<strong>partiellement conforme</strong> avec le référentiel général d’amélioration de l’accessibilité (RGAA), version 4.1",
        "réalisé par Audit Accessible SARL le 2 novembre 2026 révèle que 72,5 % des critères",
        "Critère 3.2 : contraste du pied de page insuffisant",
        "Dérogations pour charge disproportionnée",
        "Vidéos d’archives de 2015",
        "Pièces justificatives déposées par les usagers",
        "Cette déclaration a été établie le 1er décembre 2026.",
        "<li>HTML</li><li>CSS</li>",
        "NVDA 2024.4 et Firefox 128",
        "Colour Contrast Analyser",
        "<li>Mentions légales</li>",
        "https://departement.example.fr/schema-accessibilite",
        "mailto:accessibilite@departement.example.fr",
        "99000 Démoville",
        // The Défenseur des droits: form, delegates, phone, free post.
        "https://formulaire.defenseurdesdroits.fr/",
        "délégué du Défenseur des droits",
        "09 69 39 00 00",
        "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07",
    ] {
        assert!(a11y.contains(expected), "{expected:?} missing:\n{a11y}");
    }
    assert!(!a11y.contains("non renseigné"), "{a11y}");
    app.create_user(
        "admin@departement.fr",
        "une phrase de passe solide",
        Role::Admin,
        &["apa"],
    )
    .await;
    let admin = Browser::new(&app);
    admin
        .login("admin@departement.fr", "une phrase de passe solide")
        .await;
    assert!(
        !admin
            .get_html("/admin")
            .await
            .contains("Mentions légales incomplètes")
    );
    // Every page's footer says the same state.
    assert!(
        app.get_html("/")
            .await
            .contains("Accessibilité : partiellement conforme")
    );
}

async fn missing_mentions_read_non_renseigne_and_without_audit_the_site_is_not_conformant(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let legal = app.get_html("/mentions-legales").await;
    for expected in [
        "<h2>Directeur ou directrice de la publication</h2>\n<p>non renseigné</p>",
        "Nom : non renseigné",
        "Adresse : non renseigné",
        "Courrier : non renseigné",
    ] {
        assert!(legal.contains(expected), "{expected:?} missing:\n{legal}");
    }
    // Nothing invented in their place.
    assert!(
        !legal.contains("exemple") && !legal.contains("prestataire"),
        "{legal}"
    );
    let a11y = app.get_html("/accessibilite").await;
    assert!(
        a11y.contains("<strong>non conforme</strong>")
            && a11y.contains("Aucun audit n’a encore été réalisé")
            && a11y.contains("(date non renseignée)")
            && a11y.contains("Défenseur des droits, Libre réponse 71120"),
        "{a11y}"
    );
    assert!(a11y.contains("Accessibilité : non conforme"), "{a11y}");

    // The administrator is told what is missing, and where to set it.
    app.create_user(
        "admin@departement.fr",
        "une phrase de passe solide",
        Role::Admin,
        &["apa"],
    )
    .await;
    let admin = Browser::new(&app);
    admin
        .login("admin@departement.fr", "une phrase de passe solide")
        .await;
    let page = admin.get_html("/admin").await;
    assert!(
        page.contains("Mentions légales incomplètes")
            && page.contains("Nom de l’hébergeur : non renseigné (<code>mentions.host_name</code>)")
            && page.contains("Contact du délégué à la protection des données : non renseigné"),
        "{page}"
    );
}

/// Who decides is named: the MDPH and its CDAPH for the MDPH and PCH requests, the département for APA.
async fn start_pages_name_who_answers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for id in ["mdph", "pch"] {
        let page = app.get_html(&format!("/demarches/{id}")).await;
        assert!(
            page.contains("La MDPH vous répond dans un délai de")
                && page.contains("(CDAPH) qui décide")
                && !page.contains("Le département vous répond"),
            "{id}: {page}"
        );
    }
    let apa = app.get_html("/demarches/apa").await;
    assert!(
        apa.contains("Le département vous répond dans un délai de"),
        "{apa}"
    );
}

on_both_backends!(
    start_pages_name_who_answers,
    the_legal_notice_names_publisher_director_host_and_data_protection,
    missing_mentions_read_non_renseigne_and_without_audit_the_site_is_not_conformant,
);

/// `GET path` on a server started as a process, as text.
fn get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

/// The settings path: `[mentions]` in the file named by `GUICHET_CONFIG`, and `GUICHET_MENTIONS__*`
/// variables, which win (lists one item per line); a malformed date stops the start.
#[test]
fn mentions_are_read_from_the_config_file_and_the_environment() {
    use std::process::{Command, Stdio};
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("guichet.toml");
    std::fs::write(
        &file,
        r#"
[mentions]
director = "Nadia Kaci, présidente"
host_name = "Hébergeur du fichier"
host_phone = "01 00 00 00 09"
statement_date = "2026-06-01"
audit_date = "2026-05-12"
non_conformities = []
tools = ["Analyseur de contraste", "Inspecteur du navigateur"]
"#,
    )
    .unwrap();
    let port = guichet_test_support::free_port();
    let start = |envs: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_guichet"));
        cmd.args(["serve"])
            .env("GUICHET_CONFIG", &file)
            .env("GUICHET_DATA_DIR", data.path())
            .env("GUICHET_BIND", format!("127.0.0.1:{port}"))
            .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
            .env_remove("GUICHET_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    };

    // A date typed the French way is refused at start, naming the key.
    let bad = start(&[("GUICHET_MENTIONS__AUDIT_DATE", "12/05/2026")]);
    let out = bad.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mentions.audit_date"), "{err}");

    let mut child = start(&[
        ("GUICHET_MENTIONS__HOST_NAME", "Hébergeur de l’environnement"),
        ("GUICHET_MENTIONS__HOST_PHONE", "0149000002"),
        ("GUICHET_MENTIONS__AUDIT_RATE", "100"),
        (
            "GUICHET_MENTIONS__TEST_ENVIRONMENT",
            "NVDA et Firefox\nJAWS et Edge",
        ),
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let legal = get(port, "/mentions-legales");
    let a11y = get(port, "/accessibilite");
    let _ = child.kill();
    let _ = child.wait();

    assert!(legal.contains("Nadia Kaci, présidente"), "file: {legal}");
    assert!(
        legal.contains("Nom : Hébergeur de l’environnement"),
        "env wins: {legal}"
    );
    assert!(
        legal.contains("Téléphone : 0149000002"),
        "digits stay text: {legal}"
    );
    assert!(legal.contains("Adresse : non renseigné"), "{legal}");
    assert!(
        a11y.contains("<strong>totalement conforme</strong>")
            && a11y.contains("le 12 mai 2026 révèle que 100 % des critères")
            && a11y.contains("établie le 1er juin 2026")
            && a11y.contains("<li>NVDA et Firefox</li><li>JAWS et Edge</li>")
            && a11y.contains("<li>Analyseur de contraste</li>")
            && a11y.contains("<h3>Non-conformités</h3>\n<p>Aucune.</p>"),
        "{a11y}"
    );
}
