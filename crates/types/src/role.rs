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
}
