//! First start: the installation id and the `akadmin` superuser with its API token, from
//! `AUTHENTIK_BOOTSTRAP_*` when set, generated and shown once otherwise, and the default flows
//! (the blueprints of `blueprints/default/`, embedded in the binary). Safe when several
//! processes start on one database: a row in `settings` decides who bootstraps, and everything
//! is written in that row's transaction.

use crate::config::Config;
use domain::query::{Cond, Select, Write};
use domain::store::{Queries, Store, StoreError};
use domain::value::{ColType, SqlValue};
use engine::resources::Registry;
use engine::txstore::TxStore;
use engine::{Actor, Ctx, Services};

pub const ADMIN_USERNAME: &str = "akadmin";
pub const ADMIN_GROUP: &str = "authentik Admins";
pub const BOOTSTRAP_TOKEN_IDENTIFIER: &str = "authentik-bootstrap-token";

async fn setting(store: &dyn Store, key: &str) -> Result<Option<String>, StoreError> {
    let rows = store.select(&Select::new("settings").col("value", ColType::Text).filter(Cond::eq("key", key))).await?;
    Ok(rows.first().and_then(|r| r.text("value")).map(str::to_string))
}

/// Reads a setting, creating it with `make()` if absent (first writer wins).
pub async fn setting_or_init(store: &dyn Store, key: &str, make: impl Fn() -> String) -> Result<String, StoreError> {
    if let Some(v) = setting(store, key).await? {
        return Ok(v);
    }
    let mut tx = store.begin().await?;
    match tx
        .write(&Write::Insert { table: "settings".into(), values: vec![("key".into(), key.into()), ("value".into(), make().into())] })
        .await
    {
        Ok(_) => tx.commit().await?,
        Err(StoreError::Unique(_)) => {}
        Err(e) => return Err(e),
    }
    setting(store, key).await?.ok_or_else(|| StoreError::Other(format!("setting {key} vanished")))
}

/// What bootstrap generated, for the one-time log line.
pub struct Generated {
    pub password: Option<String>,
    pub token: Option<String>,
}

/// The default flows as authentik-format blueprints, applied in this order on first start.
pub const DEFAULT_BLUEPRINTS: &[(&str, &str)] = &[
    ("default-authentication-flow.yaml", include_str!("../blueprints/default/default-authentication-flow.yaml")),
    ("default-invalidation-flow.yaml", include_str!("../blueprints/default/default-invalidation-flow.yaml")),
    ("default-source-authentication.yaml", include_str!("../blueprints/default/default-source-authentication.yaml")),
    ("default-source-enrollment.yaml", include_str!("../blueprints/default/default-source-enrollment.yaml")),
    ("example-enrollment-invitation.yaml", include_str!("../blueprints/default/example-enrollment-invitation.yaml")),
];

pub async fn run(services: &Services, cfg: &Config) -> Result<Option<Generated>, StoreError> {
    let sealer = &services.sealer;
    // One transaction for the guard row, the admin and the default flows: the blueprint
    // import joins it (`begin()` on a `TxStore` joins the open transaction).
    let txs = TxStore::begin(services.store.as_ref()).await?;
    let mut tx = txs.queries();
    match tx
        .write(&Write::Insert {
            table: "settings".into(),
            values: vec![("key".into(), "bootstrapped".into()), ("value".into(), domain::time::now_micros().to_string().into())],
        })
        .await
    {
        Ok(_) => {}
        Err(StoreError::Unique(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    let password = cfg.bootstrap_password.clone();
    let token = cfg.bootstrap_token.clone();
    let gen_password = password.is_none().then(|| domain::crypto::random_alnum(24));
    let gen_token = token.is_none().then(|| domain::crypto::random_alnum(60));
    let password = password.or(gen_password.clone()).unwrap_or_default();
    let token = token.or(gen_token.clone()).unwrap_or_default();
    let now = domain::time::now_micros();

    let group = uuid::Uuid::new_v4().to_string();
    tx.write(&Write::Insert {
        table: "groups".into(),
        values: vec![
            ("uuid".into(), group.clone().into()),
            ("name".into(), ADMIN_GROUP.into()),
            ("is_superuser".into(), true.into()),
            ("attributes".into(), "{}".into()),
        ],
    })
    .await?;
    let user_id = tx
        .insert_returning_id(
            "users",
            &[
                ("uuid".into(), uuid::Uuid::new_v4().to_string().into()),
                ("username".into(), ADMIN_USERNAME.into()),
                ("name".into(), "authentik Default Admin".into()),
                ("email".into(), cfg.bootstrap_email.clone().unwrap_or_else(|| "root@localhost".into()).into()),
                ("is_active".into(), true.into()),
                ("password".into(), domain::password::hash(&password).into()),
                ("password_change_date".into(), now.into()),
                ("attributes".into(), "{}".into()),
                ("path".into(), "users".into()),
                ("type".into(), "internal".into()),
                ("date_joined".into(), now.into()),
            ],
        )
        .await?;
    tx.write(&Write::Insert {
        table: "group_users".into(),
        values: vec![("group_uuid".into(), group.into()), ("user_id".into(), SqlValue::Int(user_id))],
    })
    .await?;
    tx.write(&Write::Insert {
        table: "tokens".into(),
        values: vec![
            ("uuid".into(), uuid::Uuid::new_v4().to_string().into()),
            ("identifier".into(), BOOTSTRAP_TOKEN_IDENTIFIER.into()),
            ("key_digest".into(), sealer.lookup_digest(&token).into()),
            ("key_sealed".into(), sealer.seal(&token).into()),
            ("intent".into(), "api".into()),
            ("user_id".into(), SqlValue::Int(user_id)),
            ("description".into(), "Token used for bootstrapping".into()),
            ("expires".into(), SqlValue::Null),
            ("expiring".into(), false.into()),
            ("managed".into(), "goauthentik.io/bootstrap/token".into()),
        ],
    })
    .await?;
    if cfg.seed_default_flows {
        let on_tx = services.on_transaction(&txs);
        let actor = Actor { user_id, username: ADMIN_USERNAME.to_string(), is_superuser: true };
        let ctx = Ctx { services: &on_tx, actor: Some(actor), base_url: String::new(), query: Default::default(), session: None };
        let registry = Registry::build();
        for (name, yaml) in DEFAULT_BLUEPRINTS {
            let outcome = engine::blueprint::import::import(&ctx, &registry, yaml.as_bytes(), false).await;
            if !outcome.success || !outcome.logs.is_empty() {
                txs.rollback().await;
                let events: Vec<&str> = outcome.logs.iter().filter_map(|l| l["event"].as_str()).collect();
                return Err(StoreError::Other(format!("default blueprint {name} failed: {}", events.join("; "))));
            }
        }
    }
    txs.commit().await?;
    Ok(Some(Generated { password: gen_password, token: gen_token }))
}
