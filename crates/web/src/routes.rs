//! Every route of the platform, in one table.

use actix_web::web::{self, get, post};

use crate::assets;
use crate::handlers::{
    accounts, admin, apa, commission, demarches, implicit, instruction, my_documents, pages, providers,
    sharing, simulateurs, stats,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(simulateurs::configure)
        .configure(crate::api::configure);
    cfg.route("/", get().to(pages::home))
        .route("/healthz", get().to(pages::healthz))
        .route("/static/guichet.css", get().to(assets::css))
        .route("/static/guichet.js", get().to(assets::js))
        .route("/communes", get().to(demarches::communes))
        .route("/mentions-legales", get().to(pages::legal))
        .route("/accessibilite", get().to(pages::accessibility))
        .route("/inscription", get().to(accounts::show_signup))
        .route("/inscription", post().to(accounts::submit_signup))
        .route("/inscription/message-envoye", get().to(accounts::signup_sent))
        .route("/inscription/renvoyer", post().to(accounts::resend_signup))
        .route("/compte/confirmer", get().to(accounts::confirm_email))
        .route("/connexion", get().to(accounts::show_login))
        .route("/connexion", post().to(accounts::submit_login))
        .route("/deconnexion", post().to(accounts::logout))
        .route(
            "/connexion/{fournisseur:franceconnect|agents}",
            get().to(providers::start),
        )
        .route(
            "/connexion/{fournisseur:franceconnect|agents}/retour",
            get().to(providers::callback),
        )
        .route(
            "/deconnexion/{fournisseur:franceconnect|agents}",
            get().to(providers::logged_out),
        )
        .route("/mot-de-passe-oublie", get().to(accounts::show_forgot))
        .route("/mot-de-passe-oublie", post().to(accounts::submit_forgot))
        .route(
            "/mot-de-passe-oublie/message-envoye",
            get().to(accounts::forgot_sent),
        )
        .route(
            "/mot-de-passe-oublie/renvoyer",
            post().to(accounts::resend_forgot),
        )
        .route("/invitation", get().to(accounts::show_invitation))
        .route("/invitation", post().to(accounts::submit_invitation))
        .route("/mot-de-passe/nouveau", get().to(accounts::show_reset))
        .route("/mot-de-passe/nouveau", post().to(accounts::submit_reset))
        .route("/mot-de-passe/change", get().to(accounts::password_changed))
        .route("/compte", get().to(accounts::show_account))
        .route("/compte/nom", get().to(accounts::show_name))
        .route("/compte/nom", post().to(accounts::submit_name))
        .route("/compte/adresse", get().to(accounts::show_address))
        .route("/compte/adresse", post().to(accounts::submit_address))
        .route("/compte/adresse/confirmer", get().to(accounts::confirm_address))
        .route("/compte/courriels", post().to(accounts::submit_notifications))
        .route("/compte/supprimer", get().to(accounts::show_delete))
        .route("/compte/supprimer", post().to(accounts::submit_delete))
        .route("/compte/supprime", get().to(accounts::deleted))
        .route("/compte/proches", post().to(accounts::add_relative))
        .route("/compte/proches/retirer", post().to(accounts::remove_relative))
        .route("/compte/mot-de-passe", get().to(accounts::show_change_password))
        .route(
            "/compte/mot-de-passe",
            post().to(accounts::submit_change_password),
        )
        .route("/demarches/{procedure}", get().to(demarches::show_start))
        .route("/demarches/{procedure}/commencer", post().to(demarches::start))
        .route("/mes-dossiers", get().to(demarches::my_dossiers))
        .route("/dossiers/{id}", get().to(demarches::show_dossier))
        .route("/dossiers/{id}/taches", get().to(demarches::show_tasks))
        .route("/dossiers/{id}/etapes/{step}", get().to(demarches::show_step))
        .route("/dossiers/{id}/etapes/{step}", post().to(demarches::submit_step))
        .route(
            "/dossiers/{id}/etapes/{step}/visibles",
            post().to(demarches::visible_fields),
        )
        .route("/dossiers/{id}/verifier", get().to(demarches::show_check))
        .route("/dossiers/{id}/complement", get().to(demarches::show_complement))
        .route("/dossiers/{id}/deposer", post().to(demarches::deposit))
        .route("/dossiers/{id}/enregistre", get().to(demarches::show_saved))
        .route("/dossiers/{id}/supprimer", get().to(demarches::confirm_delete))
        .route("/dossiers/{id}/supprimer", post().to(demarches::delete_draft))
        .route("/dossiers/{id}/retirer", get().to(demarches::confirm_withdraw))
        .route("/dossiers/{id}/retirer", post().to(demarches::withdraw))
        .route("/dossiers/{id}/renvoyer", post().to(demarches::resubmit))
        .route("/dossiers/{id}/messages", post().to(demarches::send_message))
        .route(
            "/dossiers/{id}/pieces-jointes/{attachment}",
            get().to(demarches::download_attachment),
        )
        .route("/dossiers/{id}/decision.pdf", get().to(demarches::decision_pdf))
        .route("/dossiers/{id}/renouveler", post().to(demarches::renew))
        .route("/dossiers/{id}/acces", get().to(sharing::show))
        .route("/dossiers/{id}/acces", post().to(sharing::invite))
        .route(
            "/dossiers/{id}/acces/{access}/retirer",
            post().to(sharing::revoke),
        )
        .route("/invitations/{token}", get().to(sharing::show_invitation))
        .route("/mes-documents", get().to(my_documents::my_documents))
        .route(
            "/mes-documents/{id}/supprimer",
            post().to(my_documents::delete_document),
        )
        .route("/invitations/{token}", post().to(sharing::accept_invitation))
        .route("/dossiers/{id}/confirmation", get().to(demarches::confirmation))
        .route(
            "/dossiers/{id}/attestation-decision-implicite.pdf",
            get().to(implicit::attestation_pdf),
        )
        .route("/dossiers/{id}/motifs", post().to(implicit::ask_motifs))
        .route("/admin/identite", post().to(admin::update_identity))
        .route("/dossiers/{id}/recepisse.pdf", get().to(demarches::receipt_pdf))
        .route(
            "/dossiers/{id}/fichiers/{sha}",
            get().to(demarches::download_file),
        )
        // APA stages: the usager's answer to a care plan.
        .route(
            "/dossiers/{id}/apa/plan/{version}/reponse",
            post().to(apa::answer_plan),
        )
        .route("/instruction", get().to(instruction::queue))
        .route("/instruction/export.{format}", get().to(instruction::export))
        .route(
            "/instruction/notifications",
            get().to(crate::handlers::preferences::notifications),
        )
        .route(
            "/instruction/notifications",
            post().to(crate::handlers::preferences::save_notifications),
        )
        .route(
            "/instruction/vues",
            post().to(crate::handlers::preferences::save_view),
        )
        .route(
            "/instruction/vues/{id}/supprimer",
            post().to(crate::handlers::preferences::delete_view),
        )
        .route(
            "/instruction/export/colonnes",
            get().to(crate::handlers::preferences::export_columns),
        )
        .route(
            "/instruction/export/colonnes",
            post().to(crate::handlers::preferences::save_export_columns),
        )
        .route("/avis", get().to(crate::handlers::opinions::list))
        // Before `/avis/{id}`: the one-time link of an expert without an account.
        .route(
            "/avis/lien/{token}",
            get().to(crate::handlers::opinions::link_show),
        )
        .route(
            "/avis/lien/{token}",
            post().to(crate::handlers::opinions::link_answer),
        )
        .route(
            "/avis/lien/{token}/fichiers/{sha}",
            get().to(crate::handlers::opinions::link_file),
        )
        .route("/avis/{id}", get().to(crate::handlers::opinions::show))
        .route("/avis/{id}", post().to(crate::handlers::opinions::answer))
        .route(
            "/avis/{id}/fichiers/{sha}",
            get().to(crate::handlers::opinions::file),
        )
        .route(
            "/instruction/dossiers/{id}/avis",
            post().to(instruction::ask_opinion),
        )
        .route("/instruction/lots", post().to(crate::handlers::batch::start))
        .route(
            "/instruction/exports",
            get().to(crate::handlers::export_jobs::list),
        )
        .route(
            "/instruction/exports/{id}",
            get().to(crate::handlers::export_jobs::download),
        )
        .route("/instruction/lots/{id}", get().to(crate::handlers::batch::report))
        .route("/instruction/statistiques", get().to(stats::statistics))
        .route("/donnees", get().to(stats::donnees))
        .route("/donnees.csv", get().to(stats::donnees_csv))
        .route("/admin", get().to(admin::show))
        .route("/admin/services", post().to(admin::add_service))
        .route("/admin/membres", post().to(admin::add_member))
        .route("/admin/membres/role", post().to(admin::change_role))
        .route("/admin/membres/retirer", post().to(admin::remove_member))
        .route("/admin/membres/invitation", post().to(admin::reinvite))
        .route("/admin/comptes/activation", post().to(admin::set_active))
        .route("/admin/orientation", post().to(admin::add_rule))
        .route("/admin/orientation/retirer", post().to(admin::remove_rule))
        .route("/admin/orientation/monter", post().to(admin::move_rule_up))
        .route("/admin/identite/apercu.pdf", get().to(admin::letter_preview))
        .route("/admin/identite/apercu", post().to(admin::letter_preview_typed))
        .route("/instruction/dossiers/{id}", get().to(instruction::show_dossier))
        .route(
            "/instruction/dossiers/{id}/actions/{action}",
            post().to(instruction::act),
        )
        .route(
            "/instruction/dossiers/{id}/droits/{code}/decision",
            post().to(instruction::decide_right),
        )
        .route(
            "/instruction/dossiers/{id}/droits/{code}/retirer",
            post().to(instruction::withdraw_right),
        )
        .route(
            "/instruction/dossiers/{id}/pieces/{file}/avis",
            post().to(instruction::review_document),
        )
        .route(
            "/instruction/dossiers/{id}/droits",
            post().to(instruction::add_right),
        )
        .route(
            "/instruction/dossiers/{id}/affecter",
            post().to(instruction::assign),
        )
        .route(
            "/instruction/dossiers/{id}/notes",
            post().to(instruction::add_note),
        )
        .route(
            "/instruction/dossiers/{id}/acces/{access}/jugement",
            post().to(instruction::check_judgment),
        )
        .route(
            "/instruction/dossiers/{id}/messages",
            post().to(instruction::send_message),
        )
        .route(
            "/instruction/dossiers/{id}/pieces-jointes/{attachment}",
            get().to(instruction::download_attachment),
        )
        .route(
            "/instruction/dossiers/{id}/fichiers/{sha}",
            get().to(instruction::download_file),
        )
        .route(
            "/instruction/dossiers/{id}/pieces.zip",
            get().to(instruction::documents_zip),
        )
        .route(
            "/instruction/dossiers/{id}/recepisse.pdf",
            get().to(instruction::receipt_pdf),
        )
        .route(
            "/instruction/dossiers/{id}/decision.pdf",
            get().to(instruction::decision_pdf),
        )
        // --- commission: MDPH stages and CDAPH sittings (handlers/commission.rs)
        .route(
            "/instruction/dossiers/{id}/recevable",
            post().to(commission::mark_recevable),
        )
        .route(
            "/instruction/dossiers/{id}/droits/{code}/proposition",
            post().to(commission::propose),
        )
        .route("/instruction/commissions", get().to(commission::list))
        .route("/instruction/commissions", post().to(commission::create))
        .route("/instruction/commissions/{id}", get().to(commission::show))
        .route(
            "/instruction/commissions/{id}/dossiers",
            post().to(commission::add),
        )
        .route(
            "/instruction/commissions/{id}/dossiers/{dossier}/retirer",
            post().to(commission::remove),
        )
        .route(
            "/instruction/commissions/{id}/saisie",
            get().to(commission::show_entry),
        )
        .route(
            "/instruction/commissions/{id}/saisie",
            post().to(commission::record),
        )
        // APA stages: dossier complet, home evaluation, care plan.
        .route(
            "/instruction/dossiers/{id}/apa/complet",
            post().to(apa::record_complete),
        )
        .route(
            "/instruction/dossiers/{id}/apa/evaluation",
            get().to(apa::show_evaluation),
        )
        .route(
            "/instruction/dossiers/{id}/apa/evaluation",
            post().to(apa::submit_evaluation),
        )
        .route("/instruction/dossiers/{id}/apa/plan", get().to(apa::show_plan))
        .route("/instruction/dossiers/{id}/apa/plan", post().to(apa::submit_plan))
        .default_service(web::to(pages::not_found));
}
