//! « Mes documents »: the documents sent with a request are kept and offered again to the next request
//! asking for their kind, while still valid under its rule; the answer records which one was used; an
//! old proof of address is flagged and not offered; deleting one keeps the copy of the request sent.

use guichet_test_support::{Backend, Browser, TestApp, fixture, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";
const USAGER: &str = "claire.durand@exemple.fr";

/// A new Améthyste draft: its id and its documents step.
async fn amethyste_documents_step(b: &Browser<'_>) -> (String, String) {
    let r = b
        .post_form("/demarches/amethyste", "/demarches/amethyste/commencer", &[])
        .await;
    let location = r.headers()["location"].to_str().unwrap();
    let draft = location.split('/').nth(2).unwrap().to_owned();
    let step = format!("/dossiers/{draft}/etapes/pieces");
    (draft, step)
}

async fn a_document_sent_once_is_used_again_in_the_next_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_user(USAGER, PASSWORD, Role::Usager, &[]).await;
    app.create_user("autre@exemple.fr", PASSWORD, Role::Usager, &[])
        .await;
    let today = chrono::Utc::now().date_naive();
    // An APA request with an identity card; a PCH one whose proof of address is five months old.
    let mut apa = fixture("apa");
    let cni = "1".repeat(64);
    apa["piece_identite"] = app.stored_file(&cni, "cni-jeanne.pdf", b"%PDF-1.4 cni");
    let (apa_id, _) = app.deposit(USAGER, "apa", apa).await;
    let edf = "2".repeat(64);
    let old_bill = app.stored_file(&edf, "facture-edf.pdf", b"%PDF-1.4 edf");
    let mut mdph = fixture("mdph");
    mdph["justificatif_domicile"] = old_bill;
    mdph["justificatif_domicile"][0]["document_date"] = (today - chrono::Duration::days(20))
        .format("%Y-%m-%d")
        .to_string()
        .into();
    let (_mdph_id, _) = app.deposit(USAGER, "mdph", mdph).await;
    // Five months later (moved clock: the dates of the documents, kept as sent).
    app.pool
        .run(move |c| {
            use diesel::prelude::*;
            use guichet_db::schema::vault_documents as vd;
            diesel::update(vd::table.filter(vd::file_id.eq("2".repeat(64))))
                .set(vd::document_date.eq(Some(today - chrono::Duration::days(150))))
                .execute(c)
                .map_err(guichet_db::DbError::from)
        })
        .await
        .unwrap();

    let b = Browser::new(&app);
    b.login(USAGER, PASSWORD).await;
    let kept = b.get_html("/mes-documents").await;
    assert!(
        kept.contains("cni-jeanne.pdf") && kept.contains("Pièce d’identité"),
        "{kept}"
    );
    assert!(
        kept.contains("facture-edf.pdf") && kept.contains("Périmé"),
        "the old bill is flagged: {kept}"
    );

    // A new Améthyste request: its documents step offers the identity card, not the old bill.
    let (draft, step) = amethyste_documents_step(&b).await;
    let page = b.get_html(&step).await;
    assert!(
        page.contains("Utiliser un document déjà fourni") && page.contains("cni-jeanne.pdf"),
        "{page}"
    );
    assert!(
        !page.contains("facture-edf.pdf"),
        "too old for a proof of less than 3 months: {page}"
    );
    let button = page
        .split("value=\"")
        .filter_map(|s| s.split('"').next())
        .find(|v| v.starts_with("reutiliser:piece_identite:"))
        .expect("the « Utiliser ce document » button")
        .to_owned();
    let r = b.post_form(&step, &step, &[("action", &button)]).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the page is shown again with the document attached"
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("Voir le fichier cni-jeanne.pdf"), "{page}");
    let d = app.dossier(&draft).await;
    let attached = &d.answers["piece_identite"][0];
    assert_eq!(attached["id"], cni.as_str());
    assert!(
        attached["vault"].is_string(),
        "the answer records which document was used: {attached}"
    );
    // Attached, it is no longer offered; the file opens from the new request.
    assert!(!page.contains(&button));
    assert_eq!(
        b.get(&format!("/dossiers/{draft}/fichiers/{cni}")).await.status(),
        StatusCode::OK
    );

    // Someone else's document cannot be taken, even with its id.
    let other = Browser::new(&app);
    other.login("autre@exemple.fr", PASSWORD).await;
    let (theirs, their_step) = amethyste_documents_step(&other).await;
    let r = other
        .post_form(&their_step, &their_step, &[("action", &button)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("ne se trouve plus dans « Mes documents »")
    );
    assert!(app.dossier(&theirs).await.answers.get("piece_identite").is_none());

    // Removed from « Mes documents »: the requests that hold it keep their copy.
    let kept = b.get_html("/mes-documents").await;
    let delete = kept
        .split("<form")
        .find(|f| f.contains(": cni-jeanne.pdf</span>"))
        .and_then(|f| f.split("action=\"").nth(1))
        .and_then(|a| a.split('"').next())
        .expect("the identity card's « Retirer »")
        .to_owned();
    let r = b.post_form("/mes-documents", &delete, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = b.get_html(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        after.contains("« cni-jeanne.pdf » a été retiré de vos documents"),
        "{after}"
    );
    assert!(
        !after.contains(": cni-jeanne.pdf</span>"),
        "no longer listed: {after}"
    );
    assert_eq!(
        b.get(&format!("/dossiers/{apa_id}/fichiers/{cni}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        other.post_form("/mes-dossiers", &delete, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

on_both_backends!(a_document_sent_once_is_used_again_in_the_next_request);
