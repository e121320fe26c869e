//! Filing for someone else and sharing the dossier: a daughter files the APA for her mother, invites her
//! mother and her brother by email, each accepts from their own account; the brother (a relative kept
//! informed) follows the progress without the documents; the mother revokes him; the emails of the
//! dossier reach the mother too. A child's MDPH request is seen by both parents. Every step is an event.

use guichet_test_support::{Backend, Browser, TestApp, find_link, fixture, on_both_backends};
use guichet_types::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "une phrase de passe solide";
const FILLE: &str = "claire.durand@exemple.fr";
const MERE: &str = "jeanne.durand@exemple.fr";
const FRERE: &str = "paul.durand@exemple.fr";
const AUTRE: &str = "quelquun@exemple.fr";
const AGENT: &str = "agent@departement.fr";

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

async fn invite(b: &Browser<'_>, id: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/dossiers/{id}/acces");
    b.post_form(&page, &page, fields).await
}

/// The invitation link emailed to `to`, as a path on the app.
async fn invitation_link(app: &TestApp, to: &str) -> String {
    let mail = app.wait_for_email(to, "vous donne accès à une demande").await;
    let link = find_link(&mail.body, &app.state.settings.public_url).expect("a link in the invitation");
    link.trim_start_matches(app.state.settings.public_url.trim_end_matches('/'))
        .to_owned()
}

async fn accept(b: &Browser<'_>, link: &str) -> reqwest::Response {
    b.post_form(link, link, &[]).await
}

async fn people(backend: Backend) -> Option<TestApp> {
    let app = TestApp::spawn(backend).await?;
    for who in [FILLE, MERE, FRERE, AUTRE] {
        app.create_user(who, PASSWORD, Role::Usager, &[]).await;
    }
    app.create_user(AGENT, PASSWORD, Role::Instructeur, &["apa"])
        .await;
    Some(app)
}

async fn a_daughter_shares_her_mothers_apa_and_the_mother_revokes_her_brother(backend: Backend) {
    let Some(app) = people(backend).await else {
        return;
    };
    // The APA fixture is filed « pour un proche ».
    let mut answers = fixture("apa");
    answers["piece_identite"] = app.stored_file(&"a".repeat(64), "cni.pdf", b"%PDF-1.4 identite");
    let (id, _number) = app.deposit(FILLE, "apa", answers).await;
    let fille = Browser::new(&app);
    fille.login(FILLE, PASSWORD).await;
    let page = fille.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Personnes qui ont accès à ce dossier") && page.contains("Vous seul suivez ce dossier"),
        "{page}"
    );
    let mine = fille.get_html("/mes-dossiers").await;
    assert!(
        mine.contains("Demandes pour Jeanne Marie Durand")
            && mine.contains("Vous faites ces demandes pour cette personne"),
        "« Mes dossiers » groups by the person filed for: {mine}"
    );

    // Mistakes are named, and nothing is sent.
    let r = invite(
        &fille,
        &id,
        &[("acces-email", "jeanne.durand"), ("acces-role", "beneficiaire")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Saisissez une adresse électronique valide")
            && html.contains("value=\"jeanne.durand\""),
        "{html}"
    );
    let r = invite(
        &fille,
        &id,
        &[
            ("acces-email", "aidant@france-services.fr"),
            ("acces-role", "aidant"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("référence du mandat Aidants Connect") && html.contains("date de fin du mandat"),
        "{html}"
    );
    let r = invite(&fille, &id, &[("acces-email", FILLE), ("acces-role", "proche")]).await;
    assert!(r.text().await.unwrap().contains("C’est votre propre adresse"));
    assert!(
        app.emails()
            .iter()
            .all(|e| !e.subject.contains("vous donne accès"))
    );

    // The mother, as the person concerned; the brother, kept informed.
    let r = invite(
        &fille,
        &id,
        &[("acces-email", MERE), ("acces-role", "beneficiaire")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sent = fille.get_html(&location(&r)).await;
    assert!(
        sent.contains("L’invitation a été envoyée à jeanne.durand@exemple.fr"),
        "{sent}"
    );
    let r = invite(&fille, &id, &[("acces-email", FRERE), ("acces-role", "proche")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = invite(&fille, &id, &[("acces-email", FRERE), ("acces-role", "proche")]).await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("déjà accès à ce dossier, ou une invitation lui a déjà été envoyée")
    );
    let mother_link = invitation_link(&app, MERE).await;
    let brother_link = invitation_link(&app, FRERE).await;
    assert!(mother_link.starts_with("/invitations/"), "{mother_link}");

    // A link opened logged out says how to accept; a forwarded link opens nothing for someone else.
    let anonymous = Browser::new(&app);
    let html = anonymous.get_html(&brother_link).await;
    assert!(
        html.contains("Se connecter") && html.contains("paul.durand@exemple.fr"),
        "{html}"
    );
    let autre = Browser::new(&app);
    autre.login(AUTRE, PASSWORD).await;
    let r = accept(&autre, &brother_link).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cette invitation a été envoyée à paul.durand@exemple.fr")
    );
    assert_eq!(
        autre.get(&format!("/dossiers/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let mere = Browser::new(&app);
    mere.login(MERE, PASSWORD).await;
    let r = accept(&mere, &mother_link).await;
    assert_eq!(location(&r), format!("/dossiers/{id}"));
    // A link is spent once used.
    let spent = autre.get_html(&mother_link).await;
    assert!(
        spent.contains("Ce lien d’invitation n’est plus valable"),
        "{spent}"
    );
    let frere = Browser::new(&app);
    frere.login(FRERE, PASSWORD).await;
    assert_eq!(
        accept(&frere, &brother_link).await.status(),
        StatusCode::SEE_OTHER
    );

    // The mother sees her request and its documents; she cannot change it.
    let page = mere.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Demande faite pour Jeanne Marie Durand") && page.contains("Vos documents"),
        "{page}"
    );
    assert!(
        !page.contains("Retirer ma demande") && !page.contains(">la modifier</a>"),
        "{page}"
    );
    let file = "a".repeat(64);
    assert_eq!(
        mere.get(&format!("/dossiers/{id}/fichiers/{file}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        mere.get(&format!("/dossiers/{id}/etapes/identite"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let hers = mere.get_html("/mes-dossiers").await;
    assert!(
        hers.contains("Partagée avec vous : vous êtes la personne concernée par la demande"),
        "{hers}"
    );

    // The brother follows the progress, never the documents nor the health data.
    let page = frere.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Demande faite pour") && !page.contains("Vos documents"),
        "{page}"
    );
    assert_eq!(
        frere
            .get(&format!("/dossiers/{id}/fichiers/{file}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let receipt = frere.get(&format!("/dossiers/{id}/recepisse.pdf")).await;
    assert_eq!(receipt.status(), StatusCode::OK);

    // The daughter may not take the mother's access away; the mother takes the brother's.
    let access_page = mere.get_html(&format!("/dossiers/{id}/acces")).await;
    let fille_page = fille.get_html(&format!("/dossiers/{id}/acces")).await;
    let revoke_forms: Vec<&str> = fille_page
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .filter(|a| a.ends_with("/retirer"))
        .collect();
    assert_eq!(
        revoke_forms.len(),
        1,
        "the filer may revoke the brother only: {fille_page}"
    );
    let mother_access: String = {
        let all: Vec<String> = access_page
            .split("action=\"")
            .filter_map(|s| s.split('"').next())
            .filter(|a| a.ends_with("/retirer"))
            .map(str::to_owned)
            .collect();
        assert_eq!(all.len(), 2, "the mother may revoke both: {access_page}");
        all.into_iter().find(|a| a != revoke_forms[0]).unwrap()
    };
    let r = fille
        .post_form(&format!("/dossiers/{id}/acces"), &mother_access, &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let brother_access = revoke_forms[0].to_owned();
    let r = mere
        .post_form(&format!("/dossiers/{id}/acces"), &brother_access, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        frere.get(&format!("/dossiers/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !frere
            .get_html("/mes-dossiers")
            .await
            .contains("Jeanne Marie Durand")
    );

    // The dossier's emails reach the mother too; the brother, revoked, gets nothing.
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    let staff_page = format!("/instruction/dossiers/{id}");
    let r = agent
        .post_versioned(&staff_page, &format!("{staff_page}/actions/prendre"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = agent
        .post_versioned(
            &staff_page,
            &format!("{staff_page}/actions/classer"),
            &[("motif", "La famille a trouvé une autre solution.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.wait_for_email(FILLE, "décision").await;
    app.wait_for_email(MERE, "décision").await;
    assert!(
        !app.emails()
            .iter()
            .any(|e| e.to == FRERE && e.subject.contains("décision"))
    );

    // Every access given, accepted and revoked is in the history, for the family and the service.
    let kinds: Vec<String> = app
        .pool
        .run({
            let id = id.clone();
            move |c| guichet_dossiers::store::events(c, &id, true)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for (kind, n) in [
        ("access_invited", 2),
        ("access_granted", 2),
        ("access_revoked", 1),
    ] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            n,
            "{kind}: {kinds:?}"
        );
    }
    let history = mere.get_html(&format!("/dossiers/{id}")).await;
    assert!(history.contains("Accès au dossier retiré"), "{history}");
}

async fn a_childs_mdph_request_is_seen_by_both_parents(backend: Backend) {
    let Some(app) = people(backend).await else {
        return;
    };
    let mut answers = fixture("mdph");
    answers["demande_pour"] = "enfant".into();
    answers["certificat_medical"] =
        app.stored_file(&"c".repeat(64), "certificat.pdf", b"%PDF-1.4 certificat");
    answers["certificat_medical"][0]["document_date"] = (chrono::Utc::now().date_naive()
        - chrono::Duration::days(10))
    .to_string()
    .into();
    answers["remplisseur_nom"] = "Claire Durand".into();
    answers["remplisseur_lien"] = "mère".into();
    answers["remplisseur_telephone"] = "0612345678".into();
    let (id, _) = app.deposit(FILLE, "mdph", answers).await;
    let first = Browser::new(&app);
    first.login(FILLE, PASSWORD).await;
    let r = invite(&first, &id, &[("acces-email", FRERE), ("acces-role", "parent")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = invitation_link(&app, FRERE).await;
    let second = Browser::new(&app);
    second.login(FRERE, PASSWORD).await;
    assert_eq!(accept(&second, &link).await.status(), StatusCode::SEE_OTHER);
    // The other parent sees the whole request, health documents included, and the read is traced.
    let page = second.get_html(&format!("/dossiers/{id}")).await;
    assert!(
        page.contains("Vos documents") && page.contains("parent de l’enfant"),
        "{page}"
    );
    let certificate = "c".repeat(64);
    let r = second
        .get(&format!("/dossiers/{id}/fichiers/{certificate}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = first.get_html(&format!("/dossiers/{id}")).await;
    assert!(page.contains("Qui a consulté vos données de santé"), "{page}");
    // Only the parent who filed changes it.
    assert_eq!(
        second.get(&format!("/dossiers/{id}/retirer")).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The usager-side routes × every way of holding a dossier: its filer, each kind of person it is shared
/// with, an access revoked, a mandate ended, and a stranger. What each may open, and what they may do.
async fn the_authorization_matrix_of_shared_dossiers(backend: Backend) {
    use guichet_dossiers::sharing::{self, AccessRole, Invitation};
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let roles = [
        "owner",
        "beneficiary",
        "representative",
        "helper",
        "relative",
        "revoked",
        "expired",
        "other",
    ];
    for r in roles {
        app.create_user(&format!("{r}@exemple.fr"), PASSWORD, Role::Usager, &[])
            .await;
    }
    let mut answers = fixture("apa");
    let sha = "e".repeat(64);
    answers["piece_identite"] = app.stored_file(&sha, "cni.pdf", b"%PDF-1.4 identite");
    let (id, number) = app.deposit("owner@exemple.fr", "apa", answers).await;
    let today = chrono::Utc::now().date_naive();
    let grants = [
        ("beneficiary", AccessRole::Beneficiary, None),
        ("representative", AccessRole::LegalRepresentative, None),
        (
            "helper",
            AccessRole::Helper,
            Some(today + chrono::Duration::days(30)),
        ),
        ("relative", AccessRole::Relative, None),
        ("revoked", AccessRole::Relative, None),
        (
            "expired",
            AccessRole::Helper,
            Some(today - chrono::Duration::days(1)),
        ),
    ];
    for (who, role, until) in grants {
        let (id, email) = (id.clone(), format!("{who}@exemple.fr"));
        app.pool
            .run(move |c| {
                let owner = guichet_accounts::users::find_by_email(
                    c,
                    &guichet_types::Email::parse("owner@exemple.fr").unwrap(),
                )
                .unwrap()
                .unwrap();
                let user =
                    guichet_accounts::users::find_by_email(c, &guichet_types::Email::parse(&email).unwrap())
                        .unwrap()
                        .unwrap();
                let a = sharing::invite(
                    c,
                    &Invitation {
                        dossier_id: &id,
                        role,
                        email: &email,
                        invited_by: &owner.id,
                        token_hash: &format!("digest-{email}"),
                        mandate_reference: until.map(|_| "AC-2026-0042"),
                        mandate_until: until,
                    },
                )?;
                sharing::accept(c, &a, &user.id)?;
                if who == "revoked" {
                    sharing::revoke(c, &a, &owner.id)?;
                }
                Ok::<_, guichet_dossiers::DossierError>(())
            })
            .await
            .unwrap();
    }
    let mut browsers = Vec::new();
    for r in roles {
        let b = Browser::new(&app);
        b.login(&format!("{r}@exemple.fr"), PASSWORD).await;
        browsers.push(b);
    }
    // 0: not tried for that person (the request would change the dossier the others then see).
    let gets: Vec<(String, [u16; 8])> = vec![
        ("/mes-dossiers".into(), [200, 200, 200, 200, 200, 200, 200, 200]),
        (
            format!("/dossiers/{id}"),
            [200, 200, 200, 200, 200, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/acces"),
            [200, 200, 200, 200, 200, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/recepisse.pdf"),
            [200, 200, 200, 200, 200, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/fichiers/{sha}"),
            [200, 200, 200, 200, 403, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/decision.pdf"),
            [404, 404, 404, 404, 403, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/verifier"),
            [200, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/etapes/identite"),
            [200, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/retirer"),
            [200, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/confirmation"),
            [200, 404, 404, 404, 404, 404, 404, 404],
        ),
        ("/instruction".into(), [403, 403, 403, 403, 403, 403, 403, 403]),
        (
            format!("/instruction/dossiers/{id}"),
            [403, 403, 403, 403, 403, 403, 403, 403],
        ),
    ];
    for (path, expected) in &gets {
        for (i, b) in browsers.iter().enumerate() {
            let r = b.get(path).await;
            let status = r.status().as_u16();
            assert_eq!(status, expected[i], "GET {path} as {}", roles[i]);
            let body = String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned();
            if status != 200 {
                assert!(
                    !body.contains(&number),
                    "GET {path} as {} leaks the dossier",
                    roles[i]
                );
            }
        }
    }
    // The relative's receipt masks the health data the others read.
    let text = |pdf: &[u8]| guichet_test_support::pdftotext(pdf).unwrap_or_default();
    let receipt = format!("/dossiers/{id}/recepisse.pdf");
    let relative = text(&browsers[4].get(&receipt).await.bytes().await.unwrap());
    let owner = text(&browsers[0].get(&receipt).await.bytes().await.unwrap());
    let mask = guichet_forms::SENSITIVE_MASK;
    assert!(
        relative.contains(&number) && relative.contains(mask),
        "{relative}"
    );
    assert!(!owner.contains(mask), "{owner}");
    let posts: Vec<(String, [u16; 8])> = vec![
        // An empty invitation: refused with its errors for those who may invite, forbidden otherwise.
        (
            format!("/dossiers/{id}/acces"),
            [422, 422, 422, 403, 403, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/etapes/identite"),
            [0, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/retirer"),
            [0, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/renvoyer"),
            [0, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            format!("/dossiers/{id}/supprimer"),
            [0, 404, 404, 404, 404, 404, 404, 404],
        ),
    ];
    for (path, expected) in &posts {
        for (i, b) in browsers.iter().enumerate() {
            if expected[i] == 0 {
                continue;
            }
            let r = b.post_form("/mes-dossiers", path, &[("version", "0")]).await;
            assert_eq!(r.status().as_u16(), expected[i], "POST {path} as {}", roles[i]);
        }
    }
    // Revoking: the relative may leave, not take someone else's access; the helper neither.
    let accesses: Vec<sharing::Access> = app
        .pool
        .run({
            let id = id.clone();
            move |c| sharing::for_dossier(c, &id)
        })
        .await
        .unwrap();
    let of = |role: AccessRole| {
        accesses
            .iter()
            .find(|a| a.role() == role && a.revoked_at.is_none())
            .unwrap()
    };
    let beneficiary_access = format!("/dossiers/{id}/acces/{}/retirer", of(AccessRole::Beneficiary).id);
    for (i, expected) in [(0, 403), (3, 403), (4, 403), (7, 404)] {
        let r = browsers[i]
            .post_form("/mes-dossiers", &beneficiary_access, &[])
            .await;
        assert_eq!(
            r.status().as_u16(),
            expected,
            "revoke the beneficiary as {}",
            roles[i]
        );
    }
    let own = format!("/dossiers/{id}/acces/{}/retirer", of(AccessRole::Relative).id);
    let r = browsers[4].post_form("/mes-dossiers", &own, &[]).await;
    assert_eq!(location(&r), "/mes-dossiers", "the relative leaves the dossier");
    assert_eq!(
        browsers[4].get(&format!("/dossiers/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// A legal representative follows the dossier at once, but is written to only once the service has
/// checked the judgment that names them (the instructor's « J’ai vérifié le jugement »).
async fn a_representative_is_written_to_once_the_judgment_is_checked(backend: Backend) {
    let Some(app) = people(backend).await else {
        return;
    };
    let (id, _) = app.deposit(FILLE, "apa", fixture("apa")).await;
    let fille = Browser::new(&app);
    fille.login(FILLE, PASSWORD).await;
    let r = invite(
        &fille,
        &id,
        &[("acces-email", AUTRE), ("acces-role", "representant_legal")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = invitation_link(&app, AUTRE).await;
    let tuteur = Browser::new(&app);
    tuteur.login(AUTRE, PASSWORD).await;
    assert_eq!(accept(&tuteur, &link).await.status(), StatusCode::SEE_OTHER);
    let pool = app.pool.clone();
    let copies = || {
        let (id, pool) = (id.clone(), pool.clone());
        async move { pool.run(move |c| guichet_dossiers::sharing::copies(c, &id)).await }
    };
    assert!(
        copies().await.unwrap().is_empty(),
        "not before the judgment is checked"
    );

    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    let staff_page = format!("/instruction/dossiers/{id}");
    let page = agent.get_html(&staff_page).await;
    assert!(
        page.contains("Ont aussi accès") && page.contains("jugement à vérifier"),
        "{page}"
    );
    let action = page
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|a| a.ends_with("/jugement"))
        .expect("the check's form")
        .to_owned();
    let r = agent.post_form(&staff_page, &action, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(agent.get_html(&staff_page).await.contains("jugement vérifié"));
    assert_eq!(copies().await.unwrap(), [AUTRE.to_owned()]);
    // The family is told in the history.
    assert!(
        fille
            .get_html(&format!("/dossiers/{id}"))
            .await
            .contains("Jugement de la mesure de protection vérifié par le service")
    );
    // A relative may not be « checked »; a guessed access finds nothing.
    let r = agent
        .post_form(
            &staff_page,
            &format!("{staff_page}/acces/00000000-0000-4000-8000-000000000000/jugement"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// An agent of the service the dossier is shared with (a parent, a relative) follows it as family, and
/// may not instruct it: a colleague does (separation of duties).
async fn an_agent_who_follows_a_dossier_does_not_instruct_it(backend: Backend) {
    let Some(app) = people(backend).await else {
        return;
    };
    let (id, _) = app.deposit(FILLE, "apa", fixture("apa")).await;
    let fille = Browser::new(&app);
    fille.login(FILLE, PASSWORD).await;
    let r = invite(&fille, &id, &[("acces-email", AGENT), ("acces-role", "proche")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = invitation_link(&app, AGENT).await;
    let agent = Browser::new(&app);
    agent.login(AGENT, PASSWORD).await;
    assert_eq!(
        agent.get(&format!("/instruction/dossiers/{id}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(accept(&agent, &link).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        agent.get(&format!("/dossiers/{id}")).await.status(),
        StatusCode::OK
    );
    let r = agent.get(&format!("/instruction/dossiers/{id}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("collègue"));
}

on_both_backends!(
    a_daughter_shares_her_mothers_apa_and_the_mother_revokes_her_brother,
    a_childs_mdph_request_is_seen_by_both_parents,
    the_authorization_matrix_of_shared_dossiers,
    a_representative_is_written_to_once_the_judgment_is_checked,
    an_agent_who_follows_a_dossier_does_not_instruct_it,
);
