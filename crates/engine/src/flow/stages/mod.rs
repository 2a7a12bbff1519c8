//! The executor behaviour of each stage kind, and the registry that lists them.

pub mod deny;
pub mod identification;
pub mod invitation;
pub mod password;
pub mod prompt;
pub mod source;
pub mod user_login;
pub mod user_logout;
pub mod user_write;

use super::stage::StageView;
use domain::value::ColType;

/// Every column of the `stages` table a view may read.
pub const STAGE_COLUMNS: &[(&str, ColType)] = &[
    ("uuid", ColType::Text),
    ("kind", ColType::Text),
    ("name", ColType::Text),
    ("user_fields", ColType::Text),
    ("password_stage", ColType::Text),
    ("case_insensitive_matching", ColType::Bool),
    ("show_matched_user", ColType::Bool),
    ("enrollment_flow", ColType::Text),
    ("recovery_flow", ColType::Text),
    ("passwordless_flow", ColType::Text),
    ("show_source_labels", ColType::Bool),
    ("pretend_user_exists", ColType::Bool),
    ("backends", ColType::Text),
    ("configure_flow", ColType::Text),
    ("failed_attempts_before_cancel", ColType::Int),
    ("session_duration", ColType::Text),
    ("terminate_other_sessions", ColType::Bool),
    ("remember_me_offset", ColType::Text),
    ("user_creation_mode", ColType::Text),
    ("create_users_as_inactive", ColType::Bool),
    ("create_users_group", ColType::Text),
    ("user_type", ColType::Text),
    ("user_path_template", ColType::Text),
    ("deny_message", ColType::Text),
    ("continue_flow_without_invitation", ColType::Bool),
    ("source", ColType::Text),
    ("resume_timeout", ColType::Text),
];

/// The registry of stage views: the executor finds a kind's behaviour here.
pub fn view(kind: &str) -> Option<&'static dyn StageView> {
    static VIEWS: &[&dyn StageView] = &[
        &identification::Identification,
        &password::Password,
        &prompt::Prompt,
        &user_login::UserLogin,
        &user_logout::UserLogout,
        &user_write::UserWrite,
        &deny::Deny,
        &invitation::Invitation,
        &source::Source,
    ];
    VIEWS.iter().copied().find(|v| v.kind() == kind)
}
