// Hand-maintained: `diesel print-schema` differs per backend (Int8 vs BigInt) for the same columns.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        email_verified_at -> Nullable<Timestamp>,
        session_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Emails about new messages (migration 2026-12-10-000001); mandatory emails have no switch.
        notify_messages -> Bool,
        /// The owner closed the account (the row stays for the dossiers kept by law).
        deleted_at -> Nullable<Timestamp>,
        /// Deactivated by an administrator (migration 2026-12-21-000003): login refused.
        deactivated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    memberships (user_id, service_id) {
        user_id -> Text,
        service_id -> Text,
        created_at -> Timestamp,
        /// `guichet_types::ServiceRole` (migration 2026-12-20-000001).
        role -> Text,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        /// A change of address: the new address, set only while its confirmation link is unused.
        new_email -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        attempts -> Integer,
        next_try_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        locked_by -> Nullable<Text>,
        sending_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    form_versions (id) {
        id -> Text,
        form_id -> Text,
        version -> Text,
        content_hash -> Text,
        definition -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossiers (id) {
        id -> Text,
        number -> Nullable<Text>,
        procedure -> Text,
        service_code -> Text,
        form_version_id -> Text,
        owner_id -> Text,
        state -> Text,
        complement_demande -> Bool,
        answers -> Text,
        pending_answers -> Nullable<Text>,
        current_step -> Nullable<Text>,
        applicant_name -> Text,
        deposited_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        clock_paused_at -> Nullable<Timestamp>,
        assigned_to -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        closing_reason -> Nullable<Text>,
        lock_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        search_key -> Text,
        complement_recu -> Bool,
        stage -> Nullable<Text>,
        complete_at -> Nullable<Timestamp>,
        implicit_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    dossier_sequences (prefix, year) {
        prefix -> Text,
        year -> Integer,
        last_value -> Integer,
    }
}

diesel::table! {
    dossier_events (id) {
        id -> Text,
        dossier_id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        payload -> Text,
        visible_to_usager -> Bool,
        created_at -> Timestamp,
        actor_label -> Text,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        dossier_id -> Text,
        author_id -> Text,
        from_staff -> Bool,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        dossier_id -> Text,
        field_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Kept by triggers (migration 000006): dossiers per service, procedure, state and complement flag.
    queue_counts (service_code, procedure, state, complement_demande) {
        service_code -> Text,
        procedure -> Text,
        state -> Text,
        complement_demande -> Bool,
        n -> BigInt,
    }
}

diesel::table! {
    /// A draft's owner was warned of its deletion (migration 2026-12-01-000040).
    retention_warnings (dossier_id) {
        dossier_id -> Text,
        draft_updated_at -> Timestamp,
        warned_at -> Timestamp,
    }
}

diesel::table! {
    /// What statistics keep of a purged dossier, nothing personal.
    purged_dossier_stats (id) {
        id -> Text,
        procedure -> Text,
        service_code -> Text,
        state -> Text,
        deposit_month -> Nullable<Text>,
        decision_month -> Nullable<Text>,
        decision_delay_seconds -> Nullable<BigInt>,
        amount_band -> Nullable<Text>,
        purged_at -> Timestamp,
    }
}

diesel::table! {
    /// Every purge: kind, procedure, dossier, reason, time.
    purge_log (id) {
        id -> Text,
        kind -> Text,
        procedure -> Text,
        dossier_id -> Text,
        dossier_number -> Nullable<Text>,
        reason -> Text,
        reference_at -> Timestamp,
        files -> Integer,
        purged_at -> Timestamp,
    }
}

diesel::table! {
    rate_counters (bucket) {
        bucket -> Text,
        hits -> Integer,
        window_started_at -> Timestamp,
        last_hit_at -> Timestamp,
    }
}

diesel::table! {
    /// The stored files (SHA-256) that a dossier's answers or pending answers name (migration 000030).
    file_refs (dossier_id, sha256) {
        dossier_id -> Text,
        sha256 -> Text,
    }
}

diesel::table! {
    /// Relatives a member of staff declared, whose requests a colleague instructs (migration 000070).
    staff_relatives (user_id, folded_name) {
        user_id -> Text,
        folded_name -> Text,
        label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Antivirus state of files stored while clamd was unreachable (migration 2026-12-01-000060).
    file_scans (sha256) {
        sha256 -> Text,
        status -> Text,
        received_at -> Timestamp,
        scanned_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(dossiers -> form_versions (form_version_id));
diesel::joinable!(dossier_events -> dossiers (dossier_id));
diesel::joinable!(messages -> dossiers (dossier_id));
diesel::joinable!(attachments -> dossiers (dossier_id));
diesel::joinable!(file_refs -> dossiers (dossier_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> services (service_id));
diesel::joinable!(user_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    services,
    memberships,
    user_tokens,
    outbox,
    form_versions,
    dossiers,
    dossier_sequences,
    dossier_events,
    messages,
    attachments,
    queue_counts,
    retention_warnings,
    purged_dossier_stats,
    purge_log,
    rate_counters,
    staff_relatives,
    file_refs,
    file_scans,
    dossier_rights,
    document_reviews,
    // --- commission (migration 2026-12-02-000030)
    commission_sessions,
    commission_dossiers,
);

diesel::table! {
    dossier_rights (id) {
        id -> Text,
        dossier_id -> Text,
        code -> Text,
        label -> Text,
        position -> Integer,
        origin -> Text,
        authority -> Text,
        unit -> Text,
        added_by -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_reason -> Nullable<Text>,
        proposal -> Nullable<Text>,
        proposal_note -> Nullable<Text>,
        proposed_by -> Nullable<Text>,
        proposed_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        amount_cents -> Nullable<BigInt>,
        period_start -> Nullable<Date>,
        period_end -> Nullable<Date>,
        rate -> Nullable<Text>,
        motivation -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        session_id -> Nullable<Text>,
        // --- commission (migration 2026-12-02-000030)
        proposal_amount_cents -> Nullable<BigInt>,
        proposal_rate -> Nullable<Text>,
    }
}

diesel::table! {
    document_reviews (dossier_id, file_id) {
        dossier_id -> Text,
        file_id -> Text,
        field -> Text,
        verdict -> Text,
        reason -> Nullable<Text>,
        comment -> Nullable<Text>,
        reviewed_by -> Text,
        reviewed_at -> Timestamp,
    }
}

diesel::joinable!(dossier_rights -> dossiers (dossier_id));
diesel::joinable!(document_reviews -> dossiers (dossier_id));

// --- commission (migration 2026-12-02-000030): CDAPH sittings and the dossiers presented at each.
diesel::table! {
    /// A dated sitting of the CDAPH for one service (CASF L241-5).
    commission_sessions (id) {
        id -> Text,
        service_code -> Text,
        session_date -> Date,
        place -> Text,
        formation -> Text,
        label -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        held_at -> Nullable<Timestamp>,
        held_by -> Nullable<Text>,
        lock_version -> Integer,
    }
}

diesel::table! {
    /// The dossiers presented at a sitting, in agenda order.
    commission_dossiers (session_id, dossier_id) {
        session_id -> Text,
        dossier_id -> Text,
        position -> Integer,
        added_by -> Text,
        added_at -> Timestamp,
    }
}

diesel::joinable!(commission_dossiers -> commission_sessions (session_id));
diesel::joinable!(commission_dossiers -> dossiers (dossier_id));
diesel::table! {
    /// The département's identity as data (migration 2026-12-02-000040): one row per key set, the
    /// configuration giving the others.
    settings (key) {
        key -> Text,
        value -> Text,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}
// ---- APA à domicile: the home evaluation and the care plans (migration 2026-12-02-000020_apa).

diesel::table! {
    apa_evaluations (id) {
        id -> Text,
        dossier_id -> Text,
        visited_on -> Date,
        evaluator -> Text,
        grid -> Text,
        gir -> Integer,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    care_plans (id) {
        id -> Text,
        dossier_id -> Text,
        version -> Integer,
        right_code -> Text,
        helps -> Text,
        plan_cents -> BigInt,
        participation_cents -> BigInt,
        apa_cents -> BigInt,
        gir -> Integer,
        proposed_by -> Text,
        proposed_at -> Timestamp,
        answer_by -> Date,
        response -> Nullable<Text>,
        response_comment -> Nullable<Text>,
        responded_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(apa_evaluations -> dossiers (dossier_id));
diesel::joinable!(care_plans -> dossiers (dossier_id));
// A list of its own (the pairs are those of these three tables only), so that it merges apart from the
// main list above.
diesel::allow_tables_to_appear_in_same_query!(apa_evaluations, care_plans, dossiers);

diesel::table! {
    /// Batch actions of the back office (migration 2026-12-21-000001).
    batches (id) {
        id -> Text,
        user_id -> Text,
        action -> Text,
        params -> Text,
        total -> Integer,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    batch_items (batch_id, position) {
        batch_id -> Text,
        position -> Integer,
        dossier_id -> Text,
        dossier_number -> Text,
        status -> Text,
        reason -> Text,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(batches, batch_items);

diesel::table! {
    /// An agent's saved queue views (migration 2026-12-21-000002).
    saved_views (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        query -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// An agent's export columns per procedure (migration 2026-12-21-000002).
    export_templates (user_id, procedure) {
        user_id -> Text,
        procedure -> Text,
        column_keys -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Expert opinions on a dossier (migration 2026-12-21-000004).
    opinions (id) {
        id -> Text,
        dossier_id -> Text,
        service_code -> Text,
        asked_by -> Text,
        expert_id -> Nullable<Text>,
        question -> Text,
        documents -> Text,
        asked_at -> Timestamp,
        due_on -> Date,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        /// An expert without an account (migration 2026-12-21-000006): named, emailed a one-time link.
        expert_name -> Nullable<Text>,
        expert_email -> Nullable<Text>,
        link_hash -> Nullable<Text>,
        link_expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Where a deposited dossier goes beyond its procedure's service (migration 2026-12-21-000007).
    routing_rules (id) {
        id -> Text,
        procedure -> Text,
        position -> Integer,
        postal_codes -> Text,
        communes -> Text,
        age_min -> Nullable<Integer>,
        age_max -> Nullable<Integer>,
        service_code -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Exports run in the background (migration 2026-12-21-000008).
    export_jobs (id) {
        id -> Text,
        user_id -> Text,
        format -> Text,
        query -> Text,
        status -> Text,
        row_count -> Nullable<BigInt>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(opinions -> dossiers (dossier_id));
diesel::allow_tables_to_appear_in_same_query!(opinions, dossiers);

diesel::table! {
    /// An agent's notification emails (migration 2026-12-21-000005).
    agent_notifications (user_id) {
        user_id -> Text,
        new_dossier -> Bool,
        message -> Bool,
        complement -> Bool,
        opinion -> Bool,
        deadline -> Bool,
        digest -> Bool,
        last_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    external_identities (id) {
        id -> Text,
        provider -> Text,
        subject -> Text,
        user_id -> Text,
        claims -> Text,
        created_at -> Timestamp,
        last_login_at -> Timestamp,
    }
}

diesel::table! {
    oidc_logins (id) {
        id -> Text,
        provider -> Text,
        pending -> Text,
        next -> Nullable<Text>,
        identity -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(external_identities -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(external_identities, users);

diesel::table! {
    dossier_access (id) {
        id -> Text,
        dossier_id -> Text,
        role -> Text,
        email -> Text,
        user_id -> Nullable<Text>,
        token_hash -> Nullable<Text>,
        invited_by -> Text,
        invited_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
        mandate_reference -> Nullable<Text>,
        mandate_until -> Nullable<Date>,
        judgment_checked_at -> Nullable<Timestamp>,
        judgment_checked_by -> Nullable<Text>,
    }
}

diesel::joinable!(dossier_access -> dossiers (dossier_id));
diesel::allow_tables_to_appear_in_same_query!(dossier_access, dossiers);

diesel::table! {
    vault_documents (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        file_id -> Text,
        name -> Text,
        size_bytes -> BigInt,
        content_type -> Text,
        document_date -> Nullable<Date>,
        beneficiary -> Text,
        source_dossier_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
