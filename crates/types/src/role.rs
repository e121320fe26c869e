use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role on the platform. Instructors act only within the services they are members of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Usager,
    Instructeur,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Rôle inconnu : choisissez usager, instructeur ou admin")]
pub struct RoleError;

impl Role {
    pub const ALL: [Role; 3] = [Role::Usager, Role::Instructeur, Role::Admin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Usager => "usager",
            Role::Instructeur => "instructeur",
            Role::Admin => "admin",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Role::Usager => "Usager",
            Role::Instructeur => "Instructeur ou instructrice",
            Role::Admin => "Administrateur ou administratrice",
        }
    }
}

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<Self, RoleError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "usager" => Ok(Role::Usager),
            "instructeur" => Ok(Role::Instructeur),
            "admin" => Ok(Role::Admin),
            _ => Err(RoleError),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a member of staff may do within one service (`memberships.role`). The platform-wide [`Role`]
/// says who may enter the back office at all; this says what they may do with one service's dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceRole {
    /// Instructs and decides (the président's delegation, or the CDAPH's decisions entered).
    Instructeur,
    /// Acts on dossiers (evaluation, proposals, notes, messages) but never decides a right nor sets a
    /// CDAPH agenda: the équipe médico-sociale or pluridisciplinaire.
    Evaluateur,
    /// Reads the service's dossiers (health data included, every read traced) and acts on none.
    Lecteur,
    /// Sees no queue and no dossier: only what an opinion request (avis) shared with them.
    Expert,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Rôle inconnu : choisissez instructeur, évaluateur, lecteur ou expert")]
pub struct ServiceRoleError;

impl ServiceRole {
    pub const ALL: [ServiceRole; 4] = [
        ServiceRole::Instructeur,
        ServiceRole::Evaluateur,
        ServiceRole::Lecteur,
        ServiceRole::Expert,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceRole::Instructeur => "instructeur",
            ServiceRole::Evaluateur => "evaluateur",
            ServiceRole::Lecteur => "lecteur",
            ServiceRole::Expert => "expert",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            ServiceRole::Instructeur => "Instruction et décision",
            ServiceRole::Evaluateur => "Évaluation (sans décision)",
            ServiceRole::Lecteur => "Consultation seule",
            ServiceRole::Expert => "Expert (avis demandés seulement)",
        }
    }

    /// May open the service's dossiers (queue, dossier pages).
    pub const fn opens_dossiers(self) -> bool {
        !matches!(self, ServiceRole::Expert)
    }

    /// May act on the service's dossiers (any POST of the back office).
    pub const fn acts(self) -> bool {
        matches!(self, ServiceRole::Instructeur | ServiceRole::Evaluateur)
    }

    /// May decide a right, close a dossier or set a CDAPH agenda.
    pub const fn decides(self) -> bool {
        matches!(self, ServiceRole::Instructeur)
    }
}

impl FromStr for ServiceRole {
    type Err = ServiceRoleError;
    fn from_str(s: &str) -> Result<Self, ServiceRoleError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "instructeur" => Ok(ServiceRole::Instructeur),
            "evaluateur" | "évaluateur" => Ok(ServiceRole::Evaluateur),
            "lecteur" => Ok(ServiceRole::Lecteur),
            "expert" => Ok(ServiceRole::Expert),
            _ => Err(ServiceRoleError),
        }
    }
}

impl fmt::Display for ServiceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn service_roles_round_trip_and_only_instructors_decide() {
        for r in ServiceRole::ALL {
            assert_eq!(r.as_str().parse::<ServiceRole>(), Ok(r));
        }
        assert_eq!("évaluateur".parse::<ServiceRole>(), Ok(ServiceRole::Evaluateur));
        assert!("chef".parse::<ServiceRole>().is_err());
        let deciders: Vec<_> = ServiceRole::ALL.into_iter().filter(|r| r.decides()).collect();
        assert_eq!(deciders, [ServiceRole::Instructeur]);
        assert!(!ServiceRole::Lecteur.acts() && ServiceRole::Lecteur.opens_dossiers());
        assert!(!ServiceRole::Expert.opens_dossiers());
    }
}
