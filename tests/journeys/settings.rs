//! The département's identity as settings (issue 12 « Letters and pages »): the command line, the admin
//! form, and where the identity is printed (letters, receipts, legal notice, accessibility statement,
//! the dossier's contact block).

use guichet_test_support::{Backend, Browser, TestApp, hidden_value, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "une phrase de passe solide";

fn apa_answers() -> Value {
    serde_json::from_str(include_str!(
        "../../crates/forms/tests/fixtures/apa_complete.json"
    ))
    .unwrap()
}

pub(crate) fn pdftotext(pdf: &[u8]) -> Option<String> {
    // Every run of white space as one ASCII space: lines wrap where the layout wants, and the PDF keeps
    // the narrow no-break spaces of « 1 040,17 € ».
    guichet_test_support::pdftotext(pdf).map(|t| {
        t.split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// `guichet settings …` against the app's database.
fn guichet(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("settings")
        .args(args)
        .env("GUICHET_DATA_DIR", app.data_dir.path())
        .env("GUICHET_DATABASE_URL", app.pool_url())
        .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn the_command_line_shows_sets_and_refuses_unknown_keys(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["mdph"])
        .await;
    // First start: the configuration's identity.
    let out = guichet(&app, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("nom\tDépartement de démonstration\t(configuration)")
            && shown.contains("telephone\t01 00 00 00 00\t(configuration)")
            && shown.contains("signataire.mdph.nom\tCamille Martin (par défaut)"),
        "{shown}"
    );

    let out = guichet(&app, &["set", "telephone", "0143939393"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Enregistré : telephone"));
    let out = guichet(&app, &["set", "signataire.mdph.nom", "Karim Benali"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&guichet(&app, &[]).stdout);
    assert!(
        shown.contains("telephone\t01 43 93 93 93\t(modifié le")
            && shown.contains("en ligne de commande")
            && shown.contains("signataire.mdph.nom\tKarim Benali\t(modifié")
            && shown.contains("nom\tDépartement de démonstration\t(configuration)"),
        "{shown}"
    );

    // A misspelt key and the key of a service that does not exist: refused with the known keys.
    for key in ["telephonne", "signataire.apa.nom"] {
        let out = guichet(&app, &["set", key, "x"]);
        assert!(!out.status.success(), "{key}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("Clé inconnue : « {key} »"))
                && err.contains("Clés possibles : nom, adresse, telephone, courriel, site, lieu")
                && err.contains("signataire.mdph.titre"),
            "{err}"
        );
    }
    // A value that cannot be right, in French, and nothing written.
    let out = guichet(&app, &["set", "telephone", "12"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("numéro de téléphone valide"),
        "{}",
        text(&out.stderr)
    );
    let out = guichet(&app, &["set", "nom", "  "]);
    assert!(!out.status.success());
    assert!(text(&guichet(&app, &[]).stdout).contains("telephone\t01 43 93 93 93"));

    // A running server reads it again on its own (every 30 s: here at once).
    app.state.identity.refresh(&app.pool).await.unwrap();
    let legal = app.get_html("/mentions-legales").await;
    assert!(legal.contains("Téléphone : 01 43 93 93 93"), "{legal}");
}

/// Posts the identity form with these values over what the page shows.
async fn post_identity(b: &Browser<'_>, changes: &[(&str, &str)]) -> reqwest::Response {
    let page = b.get_html("/admin").await;
    let mut fields: Vec<(String, String)> = Vec::new();
    // Every field of the form, as shown (the browser sends them all).
    for name in [
        "nom",
        "adresse",
        "telephone",
        "courriel",
        "site",
        "lieu",
        "signataire.nom",
        "signataire.titre",
        "signataire.apa.nom",
        "signataire.apa.titre",
        "courrier.introduction",
        "courrier.fin",
        "courrier.apa.introduction",
        "courrier.apa.fin",
    ] {
        let value = match name {
            "adresse" => textarea_value(&page, name),
            n if n.starts_with("courrier.") => textarea_value(&page, name),
            _ => input_value(&page, name).unwrap_or_else(|| panic!("no field {name}: {page}")),
        };
        fields.push((name.to_owned(), value));
    }
    for (k, v) in changes {
        if let Some(f) = fields.iter_mut().find(|(n, _)| n == k) {
            f.1 = (*v).to_owned();
        }
    }
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form("/admin", "/admin/identite", &borrowed).await
}

fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" type=");
    let start = html.find(&marker)?;
    let rest = &html[start..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')? + v;
    Some(unescape(&rest[v..end]))
}

fn textarea_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let start = html.find(&marker).unwrap();
    let open = html[start..].find('>').unwrap() + start + 1;
    let close = html[open..].find("</textarea>").unwrap() + open;
    unescape(&html[open..close])
}

fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn decide_everything(app: &TestApp, agent: &Browser<'_>, id: &str) {
    let page = format!("/instruction/dossiers/{id}");
    let page = page.as_str();
    let act = |fields: Vec<(&'static str, String)>, action: String| async move {
        let html = agent.get_html(page).await;
        let version = hidden_value(&html, "version").unwrap();
        let mut all: Vec<(&str, &str)> = vec![("version", version.as_str())];
        all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        agent.post_form(page, &action, &all).await
    };
    let r = act(Vec::new(), format!("/instruction/dossiers/{id}/actions/prendre")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let did = id.to_owned();
    let rights = app
        .pool
        .run(move |c| guichet_dossiers::rights::of(c, &did))
        .await
        .unwrap();
    for r in rights.iter().filter(|r| r.is_open()) {
        let fields = if r.code == "apa_domicile" {
            vec![
                ("decision", "accord".to_owned()),
                ("montant", "1 201,61".to_owned()),
                ("debut", "01/12/2026".to_owned()),
                ("motivation", "GIR 2 confirmé par l’évaluation.".to_owned()),
                ("confirmation", "oui".to_owned()),
            ]
        } else {
            vec![
                ("decision", "sans_objet".to_owned()),
                ("motivation", "Carte déjà détenue.".to_owned()),
                ("confirmation", "oui".to_owned()),
            ]
        };
        let resp = act(
            fields,
            format!("/instruction/dossiers/{id}/droits/{}/decision", r.code),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", r.code);
    }
}

async fn the_admin_form_checks_saves_and_every_letter_and_page_uses_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user("admin@departement.fr", PASSWORD, Role::Admin, &["apa"])
        .await;
    app.create_user("agent@departement.fr", PASSWORD, Role::Instructeur, &["apa"])
        .await;
    app.create_user("famille@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let admin = Browser::new(&app);
    admin.login("admin@departement.fr", PASSWORD).await;
    let page = admin.get_html("/admin").await;
    assert!(
        page.contains("Identité du département")
            && page.contains("value=\"Département de démonstration\"")
            && page.contains("Courriers du service : APA"),
        "{page}"
    );

    // Errors: each named in the summary, linked to its field, the typed values kept, nothing written.
    let r = post_identity(
        &admin,
        &[
            ("nom", ""),
            ("courriel", "pas-une-adresse"),
            ("site", "www.exemple.fr"),
            ("courrier.fin", &"Trop long. ".repeat(120)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Erreur : Administration"), "{html}");
    for (id, words) in [
        ("identite-nom", "Saisissez le nom du département"),
        ("identite-courriel", "adresse électronique valide"),
        ("identite-site", "adresse complète du site"),
        (
            "identite-courrier-fin",
            "1\u{202f}200 caractères au plus (il en compte 1\u{202f}319)",
        ),
    ] {
        assert!(html.contains(&format!("href=\"#{id}\"")), "{id}: {html}");
        assert!(html.contains(words), "{words}: {html}");
        assert!(html.contains(&format!("id=\"{id}-erreur\"")), "{id}");
    }
    assert!(html.contains("value=\"pas-une-adresse\""), "kept: {html}");
    let stored = app.pool.run(guichet_usecases::settings::stored).await.unwrap();
    assert!(stored.is_empty(), "{stored:?}");

    // Not an administrator: refused.
    let agent = Browser::new(&app);
    agent.login("agent@departement.fr", PASSWORD).await;
    let token = guichet_test_support::csrf_token(&agent.get_html("/instruction").await).unwrap();
    let r = agent
        .client
        .post(app.url("/admin/identite"))
        .form(&[("csrf_token", token.as_str()), ("nom", "Pirate")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Without the CSRF token: refused.
    let r = admin
        .client
        .post(app.url("/admin/identite"))
        .form(&[("nom", "Pirate")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Success.
    let r = post_identity(
        &admin,
        &[
            ("nom", "Département de la Seine-Saint-Denis"),
            ("adresse", "Hôtel du Département\r\n93006 Bobigny Cedex"),
            ("telephone", "01 43 93 93 93"),
            ("courriel", "autonomie@seinesaintdenis.fr"),
            ("site", "https://seinesaintdenis.fr"),
            ("signataire.apa.nom", "Nadia Kaci"),
            ("signataire.apa.titre", "Cheffe du service APA"),
            (
                "courrier.fin",
                "L’accueil répond au 01 43 93 93 93.\r\n\r\n\r\nDu lundi au vendredi.",
            ),
            ("courrier.apa.introduction", "Le service APA a étudié la demande."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        "/admin?identite=enregistree"
    );
    let page = admin.get_html("/admin?identite=enregistree").await;
    assert!(page.contains("Identité du département enregistrée"), "{page}");
    assert!(page.contains("value=\"Nadia Kaci\""), "{page}");
    // The text is kept as paragraphs, blank lines between them made one.
    assert_eq!(
        textarea_value(&page, "courrier.fin"),
        "L’accueil répond au 01 43 93 93 93.\n\nDu lundi au vendredi."
    );
    // Only what changed is stored: the place of signature still follows the configuration.
    let stored = app.pool.run(guichet_usecases::settings::stored).await.unwrap();
    let keys: Vec<&str> = stored.iter().map(|s| s.key.as_str()).collect();
    assert!(
        keys.contains(&"signataire.apa.nom") && !keys.contains(&"lieu"),
        "{keys:?}"
    );
    assert!(stored.iter().all(|s| s.updated_by.is_some()));

    // The legal notice names the publisher, the accessibility statement the contact.
    let legal = app.get_html("/mentions-legales").await;
    assert!(
        legal.contains("Ce site est édité par Département de la Seine-Saint-Denis")
            && legal.contains("93006 Bobigny Cedex")
            && legal.contains("Téléphone : 01 43 93 93 93")
            && legal.contains("autonomie@seinesaintdenis.fr"),
        "{legal}"
    );
    let a11y = app.get_html("/accessibilite").await;
    assert!(
        a11y.contains("Département de la Seine-Saint-Denis s’engage")
            && a11y.contains("mailto:autonomie@seinesaintdenis.fr")
            && a11y.contains("Par téléphone : 01 43 93 93 93"),
        "{a11y}"
    );
    // The header too.
    assert!(
        app.get_html("/")
            .await
            .contains("Département de la Seine-Saint-Denis")
    );

    // The receipt and the decision letter: letterhead, and the APA service's own signatory.
    let (id, number) = app.deposit("famille@exemple.fr", "apa", apa_answers()).await;
    let usager = Browser::new(&app);
    usager.login("famille@exemple.fr", PASSWORD).await;
    let dossier = usager.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        dossier.contains("id=\"contact-titre\"")
            && dossier.contains("Téléphone : 01 43 93 93 93")
            && dossier.contains("mailto:autonomie@seinesaintdenis.fr")
            && dossier.contains("93006 Bobigny Cedex"),
        "{dossier}"
    );
    let r = usager.get(&format!("/dossiers/{id}/recepisse.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    if let Some(text) = pdftotext(&r.bytes().await.unwrap()) {
        assert!(
            text.contains("Département de la Seine-Saint-Denis")
                && text.contains("93006 Bobigny Cedex")
                && text.contains("01 43 93 93 93"),
            "{text}"
        );
    }
    decide_everything(&app, &agent, &id).await;
    let r = usager.get(&format!("/dossiers/{id}/decision.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    if let Some(text) = pdftotext(&r.bytes().await.unwrap()) {
        for words in [
            "Département de la Seine-Saint-Denis",
            "93006 Bobigny Cedex",
            "Téléphone : 01 43 93 93 93",
            "autonomie@seinesaintdenis.fr",
            "https://seinesaintdenis.fr",
            "Nadia Kaci",
            "Cheffe du service APA",
            "Le service APA a étudié la demande.",
            "Du lundi au vendredi.",
            number.as_str(),
        ] {
            assert!(text.contains(words), "{words}: {text}");
        }
        assert!(!text.contains("Camille Martin"), "the default signatory: {text}");
    }
}

on_both_backends!(
    the_command_line_shows_sets_and_refuses_unknown_keys,
    the_admin_form_checks_saves_and_every_letter_and_page_uses_it,
);
