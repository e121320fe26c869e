//! The dossier state machine, as one table of pure code.
//!
//! ```text
//! brouillon ──deposit──▶ depose ──take──▶ en_instruction ──(last right decided)──▶ decide
//!                          │               │  ▲    ▲                                 │
//!                          │ close   ask   │  │    └──────── reopen (admin, reason) ──┤
//!                          ▼     complement▼  │answer                                ▼
//!                      sans_suite ◀─close─ en_instruction + complement_demande    sans_suite
//! ```
//! The usager withdraws a request sent and not yet decided (`withdraw`): it goes to `sans_suite` with the
//! reason « Demande retirée par le demandeur ».
//!
//! A complement asked keeps the dossier en instruction with its instructor: answering it never sends it
//! back to the « à traiter » pile (review 2026-12, bug 3).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Brouillon,
    Depose,
    EnInstruction,
    /// Every right has its decision; the outcome is read from the rights.
    Decide,
    SansSuite,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Brouillon,
        State::Depose,
        State::EnInstruction,
        State::Decide,
        State::SansSuite,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            State::Brouillon => "brouillon",
            State::Depose => "depose",
            State::EnInstruction => "en_instruction",
            State::Decide => "decide",
            State::SansSuite => "sans_suite",
        }
    }

    /// The state in plain words, for the usager.
    pub const fn label(self) -> &'static str {
        match self {
            State::Brouillon => "Brouillon : pas encore envoyé",
            State::Depose => "Envoyé : en attente de prise en charge",
            State::EnInstruction => "En cours d’examen",
            State::Decide => "Décision rendue",
            State::SansSuite => "Classé sans suite",
        }
    }

    pub const fn is_decided(self) -> bool {
        matches!(self, State::Decide | State::SansSuite)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = TransitionError;
    fn from_str(s: &str) -> Result<State, TransitionError> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(TransitionError::UnknownState)
    }
}

/// Who acts, relative to the dossier (computed by the caller from the session and memberships).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The usager who owns the dossier.
    Owner,
    /// An instructor member of the dossier's service.
    Instructeur,
    /// An administrator.
    Admin,
    /// The platform itself (e.g. silence rules).
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The usager sends the draft.
    Deposit,
    /// The usager answers a complement request, which re-deposits the dossier.
    AnswerComplement,
    /// An instructor takes the dossier into instruction.
    Take,
    /// An instructor asks for missing documents or answers.
    AskComplement,
    /// The decision of the dossier's last undecided right makes the dossier decided.
    Decide,
    /// Closed without follow-up (withdrawn, duplicate, unreachable applicant…).
    Close,
    /// An administrator reopens a decided dossier, with a reason.
    Reopen,
    /// The usager withdraws a request sent and not yet decided (« Demande retirée »).
    Withdraw,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Deposit,
        Action::AnswerComplement,
        Action::Take,
        Action::AskComplement,
        Action::Decide,
        Action::Close,
        Action::Reopen,
        Action::Withdraw,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Deposit => "deposit",
            Action::AnswerComplement => "answer_complement",
            Action::Take => "take",
            Action::AskComplement => "ask_complement",
            Action::Decide => "decide",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Withdraw => "withdraw",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Cette action n’est pas possible : le dossier est « {} »", .0.label())]
    NotAllowedInState(State),
    #[error("Vous n’avez pas le droit de faire cette action sur ce dossier")]
    NotAllowedForActor,
    #[error("Le dossier attend le complément demandé à l’usager")]
    AwaitingComplement,
    #[error("Aucun complément n’a été demandé sur ce dossier")]
    NoComplementRequested,
    #[error("état de dossier inconnu")]
    UnknownState,
}

/// A dossier's position in the machine: its state and the complement flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub state: State,
    pub complement_demande: bool,
}

impl Position {
    pub const fn new(state: State, complement_demande: bool) -> Position {
        Position {
            state,
            complement_demande,
        }
    }
}

/// The whole table. Returns where the action leads, or why it cannot happen.
pub fn transition(from: Position, action: Action, actor: Actor) -> Result<Position, TransitionError> {
    use Action as A;
    use State as S;
    let staff = matches!(actor, Actor::Instructeur | Actor::Admin);
    let allowed_actor = match action {
        A::Deposit | A::AnswerComplement | A::Withdraw => actor == Actor::Owner,
        A::Take | A::AskComplement | A::Close => staff,
        // The platform settles a dossier whose last right a rule decided (CASF R232-7: a care plan
        // refused or left unanswered).
        A::Decide => staff || actor == Actor::System,
        A::Reopen => actor == Actor::Admin,
    };
    if !allowed_actor {
        return Err(TransitionError::NotAllowedForActor);
    }
    let to = match (from.state, action) {
        (S::Brouillon, A::Deposit) => Position::new(S::Depose, false),
        (S::EnInstruction, A::AnswerComplement) if from.complement_demande => {
            Position::new(S::EnInstruction, false)
        }
        (S::EnInstruction, A::AnswerComplement) => return Err(TransitionError::NoComplementRequested),
        (S::Depose, A::Take) => Position::new(S::EnInstruction, false),
        (S::EnInstruction, A::AskComplement | A::Decide) if from.complement_demande => {
            return Err(TransitionError::AwaitingComplement);
        }
        (S::EnInstruction, A::AskComplement) => Position::new(S::EnInstruction, true),
        (S::EnInstruction, A::Decide) => Position::new(S::Decide, false),
        // A deposited dossier can be closed too (withdrawal, duplicate), even while awaiting a complement.
        (S::EnInstruction | S::Depose, A::Close) => Position::new(S::SansSuite, false),
        (S::Decide | S::SansSuite, A::Reopen) => Position::new(S::EnInstruction, false),
        // The usager may withdraw a request until it is decided, a complement awaited or not.
        (S::Depose | S::EnInstruction, A::Withdraw) => Position::new(S::SansSuite, false),
        (state, _) => return Err(TransitionError::NotAllowedInState(state)),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTORS: [Actor; 4] = [Actor::Owner, Actor::Instructeur, Actor::Admin, Actor::System];

    /// The expected table, written out by hand: (from, flag, action, actor) → to. Everything absent is refused.
    fn allowed() -> Vec<(State, bool, Action, Actor, State, bool)> {
        use Action as A;
        use Actor as R;
        use State as S;
        let mut v = vec![
            (S::Brouillon, false, A::Deposit, R::Owner, S::Depose, false),
            (
                S::EnInstruction,
                true,
                A::AnswerComplement,
                R::Owner,
                S::EnInstruction,
                false,
            ),
        ];
        for staff in [R::Instructeur, R::Admin] {
            v.extend([
                (S::Depose, false, A::Take, staff, S::EnInstruction, false),
                (
                    S::EnInstruction,
                    false,
                    A::AskComplement,
                    staff,
                    S::EnInstruction,
                    true,
                ),
                (S::EnInstruction, false, A::Decide, staff, S::Decide, false),
                (S::EnInstruction, false, A::Close, staff, S::SansSuite, false),
                (S::EnInstruction, true, A::Close, staff, S::SansSuite, false),
                (S::Depose, false, A::Close, staff, S::SansSuite, false),
            ]);
        }
        v.push((S::EnInstruction, false, A::Decide, R::System, S::Decide, false));
        v.extend([
            (S::Depose, false, A::Withdraw, R::Owner, S::SansSuite, false),
            (
                S::EnInstruction,
                false,
                A::Withdraw,
                R::Owner,
                S::SansSuite,
                false,
            ),
            (S::EnInstruction, true, A::Withdraw, R::Owner, S::SansSuite, false),
        ]);
        for decided in [S::Decide, S::SansSuite] {
            v.push((decided, false, A::Reopen, R::Admin, S::EnInstruction, false));
        }
        v
    }

    #[test]
    fn every_transition_in_the_table_is_allowed_and_every_other_is_refused() {
        let table = allowed();
        let mut checked = 0;
        for state in State::ALL {
            for flag in [false, true] {
                if flag && state != State::EnInstruction {
                    continue; // the flag only exists on dossiers en instruction
                }
                for action in Action::ALL {
                    for actor in ACTORS {
                        let expected = table
                            .iter()
                            .find(|(s, f, a, r, _, _)| {
                                *s == state && *f == flag && *a == action && *r == actor
                            })
                            .map(|(_, _, _, _, to, tf)| Position::new(*to, *tf));
                        let got = transition(Position::new(state, flag), action, actor).ok();
                        assert_eq!(got, expected, "{state:?} flag={flag} {action:?} by {actor:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 6 * 8 * 4);
    }

    #[test]
    fn refusals_say_why_in_french() {
        let e = transition(
            Position::new(State::EnInstruction, true),
            Action::Decide,
            Actor::Instructeur,
        )
        .unwrap_err();
        assert_eq!(e, TransitionError::AwaitingComplement);
        let e = transition(
            Position::new(State::Brouillon, false),
            Action::Decide,
            Actor::Instructeur,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Cette action n’est pas possible : le dossier est « Brouillon : pas encore envoyé »"
        );
        let e = transition(
            Position::new(State::EnInstruction, false),
            Action::Decide,
            Actor::Owner,
        )
        .unwrap_err();
        assert_eq!(e, TransitionError::NotAllowedForActor);
        let e = transition(
            Position::new(State::Decide, false),
            Action::Reopen,
            Actor::Instructeur,
        )
        .unwrap_err();
        assert_eq!(e, TransitionError::NotAllowedForActor);
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>(), Ok(s));
        }
        assert!("archive".parse::<State>().is_err());
    }
}
