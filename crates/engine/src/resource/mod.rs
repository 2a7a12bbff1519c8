//! The resource description and the operations derived from it.
//!
//! A [`Resource`] says what a model looks like on the wire and in the database. List,
//! retrieve, create, update, delete, `used_by`, the OpenAPI document and (later) blueprints
//! read the same description, so a new resource is a description, not new plumbing.

pub mod action;
pub mod filter;
pub mod input;
pub mod list;
pub mod ops;
pub mod output;
pub mod used_by;

use crate::ctx::Ctx;
use crate::error::EngineResult;
use async_trait::async_trait;
use domain::query::Cond;
use domain::store::Queries;
use domain::value::{ColType, Row, SqlValue};
use serde_json::{Map, Value};
use std::sync::Arc;

pub use action::{Action, ActionHandler, Body, Method, Reply, Upload};
pub use filter::{Filter, FilterKind};
pub use used_by::{UsedBy, UsedByAction};

/// The identity of a model as authentik names it (metadata, `used_by`, blueprints, permissions).
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub app_label: &'static str,
    pub model_name: &'static str,
    pub verbose_name: &'static str,
    pub verbose_name_plural: &'static str,
    /// The admin UI form component; `None` for models whose API has no `component` field.
    pub component: Option<&'static str>,
}

/// An enum as the contract names it.
#[derive(Debug)]
pub struct Choices {
    /// Component name in the OpenAPI document, e.g. `UserTypeEnum`.
    pub schema: &'static str,
    pub values: &'static [&'static str],
}

/// A component of the OpenAPI document that is not one of a resource's own schemas: the
/// bodies of actions and the nested shapes computed fields return (`SessionUser`, `UserGroup`).
/// Resource modules list theirs in `resources::components`; the document includes them by name.
pub enum Component {
    /// A hand-written schema under the given name.
    Json(&'static str, fn() -> Value),
    /// The response shape of a description, named by its `schema_name` (e.g. `GroupMember`).
    Resource(fn() -> Resource),
    /// The request shape of a description, named `{schema_name}Request` (e.g. the
    /// `FlowSetRequest` items of a stage's writable `flow_set`).
    Request(fn() -> Resource),
}

/// How a text field is checked beyond length and blankness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Plain,
    Slug,
    Email,
    /// authentik's `hours=1;minutes=2` duration strings.
    Duration,
    /// Stored encrypted; write-only on the wire.
    Sealed,
}

/// Type of a primary key or of a reference to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Uuid,
    Int,
}

/// A batch-computed read-only field (nested objects, derived values).
#[async_trait]
pub trait Computed: Send + Sync {
    /// One value per row, in order.
    async fn compute(&self, ctx: &Ctx<'_>, rows: &[Row]) -> EngineResult<Vec<Value>>;
    /// The field's OpenAPI schema (without `readOnly`).
    fn schema(&self) -> Value;
    /// Its schema in request bodies, for a computed field made writable with
    /// [`Field::writable`] (nested writes name `{Schema}Request` items, e.g. `FlowSetRequest`).
    fn request_schema(&self) -> Value {
        self.schema()
    }
    /// Whether the contract lists the field as required in responses.
    fn required(&self) -> bool {
        true
    }
}

pub enum Kind {
    Text { max: Option<usize>, blank: bool, format: TextFormat },
    /// A 32-bit integer.
    Int,
    Bool,
    DateTime,
    /// A JSON document; `object` requires a JSON object.
    Json { object: bool },
    Choice(&'static Choices),
    ChoiceList(&'static Choices),
    /// The model's own uuid, generated on create.
    OwnUuid,
    /// The model's own auto-increment integer key.
    OwnInt,
    /// A foreign key.
    Ref { table: &'static str, key: &'static str, ty: KeyType, kind: Option<&'static str> },
    /// A many-to-many relation stored in a link table.
    RefList {
        link: &'static str,
        self_col: &'static str,
        other_col: &'static str,
        table: &'static str,
        key: &'static str,
        ty: KeyType,
        non_empty: bool,
    },
    Computed(Arc<dyn Computed>),
}

pub struct Field {
    pub name: &'static str,
    /// The column that stores it (`None` for link lists and computed fields).
    pub column: Option<&'static str>,
    pub kind: Kind,
    pub read: bool,
    pub write: bool,
    /// Required on create and PUT.
    pub required: bool,
    pub nullable: bool,
    /// The value a create stores when the field is omitted.
    pub default: Option<fn() -> Value>,
    /// PUT without the field resets it to the default (users' `groups`, groups' `users`).
    pub reset_on_put: bool,
    /// Message when the value is taken by another row.
    pub unique: Option<&'static str>,
    /// Extra OpenAPI keywords for the field (`title`, `description`, ...).
    pub doc: &'static [(&'static str, &'static str)],
    /// An input the contract does not declare (accepted for compatibility with later
    /// authentik); the OpenAPI document must not emit it.
    pub undocumented: bool,
    /// The field's OpenAPI schema when its kind says less than the wire does (a JSON column
    /// that holds a list of uuids); `None` derives it from the kind.
    pub schema: Option<fn() -> Value>,
}

impl Field {
    fn new(name: &'static str, column: Option<&'static str>, kind: Kind) -> Field {
        Field {
            name,
            column,
            kind,
            read: true,
            write: true,
            required: false,
            nullable: false,
            default: None,
            reset_on_put: false,
            unique: None,
            doc: &[],
            undocumented: false,
            schema: None,
        }
    }
    pub fn text(name: &'static str) -> Field {
        Field::new(name, Some(name), Kind::Text { max: None, blank: false, format: TextFormat::Plain })
    }
    pub fn text_fmt(name: &'static str, max: Option<usize>, blank: bool, format: TextFormat) -> Field {
        Field::new(name, Some(name), Kind::Text { max, blank, format })
    }
    pub fn int(name: &'static str) -> Field {
        Field::new(name, Some(name), Kind::Int)
    }
    pub fn boolean(name: &'static str) -> Field {
        Field::new(name, Some(name), Kind::Bool)
    }
    pub fn datetime(name: &'static str) -> Field {
        Field::new(name, Some(name), Kind::DateTime)
    }
    pub fn json(name: &'static str, object: bool) -> Field {
        Field::new(name, Some(name), Kind::Json { object })
    }
    pub fn choice(name: &'static str, c: &'static Choices) -> Field {
        Field::new(name, Some(name), Kind::Choice(c))
    }
    pub fn choice_list(name: &'static str, c: &'static Choices) -> Field {
        Field::new(name, Some(name), Kind::ChoiceList(c))
    }
    pub fn own_uuid(name: &'static str, column: &'static str) -> Field {
        Field::new(name, Some(column), Kind::OwnUuid).read_only()
    }
    pub fn own_int(name: &'static str, column: &'static str) -> Field {
        Field::new(name, Some(column), Kind::OwnInt).read_only()
    }
    pub fn reference(name: &'static str, column: &'static str, table: &'static str, key: &'static str, ty: KeyType) -> Field {
        Field::new(name, Some(column), Kind::Ref { table, key, ty, kind: None })
    }
    pub fn link_list(
        name: &'static str,
        link: &'static str,
        self_col: &'static str,
        other_col: &'static str,
        table: &'static str,
        key: &'static str,
        ty: KeyType,
    ) -> Field {
        Field::new(name, None, Kind::RefList { link, self_col, other_col, table, key, ty, non_empty: false })
    }
    pub fn computed(name: &'static str, c: Arc<dyn Computed>) -> Field {
        Field::new(name, None, Kind::Computed(c)).read_only()
    }
    pub fn column(mut self, c: &'static str) -> Field {
        self.column = Some(c);
        self
    }
    pub fn read_only(mut self) -> Field {
        self.write = false;
        self.read = true;
        self.required = false;
        self
    }
    /// Makes a computed field accept input: its raw JSON value (only `null` is refused) is put
    /// into [`Input::fields`] untouched, for the resource's hooks to validate and apply. Reads
    /// still show the computed value (stages' `flow_set`, prompts' `promptstage_set`).
    pub fn writable(mut self) -> Field {
        self.write = true;
        self
    }
    pub fn write_only(mut self) -> Field {
        self.read = false;
        self
    }
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }
    pub fn nullable(mut self) -> Field {
        self.nullable = true;
        self
    }
    pub fn default(mut self, f: fn() -> Value) -> Field {
        self.default = Some(f);
        self
    }
    pub fn reset_on_put(mut self) -> Field {
        self.reset_on_put = true;
        self
    }
    pub fn unique(mut self, msg: &'static str) -> Field {
        self.unique = Some(msg);
        self
    }
    pub fn doc(mut self, d: &'static [(&'static str, &'static str)]) -> Field {
        self.doc = d;
        self
    }
    /// Hides the field from the OpenAPI document (see [`Field::undocumented`]).
    pub fn undocumented(mut self) -> Field {
        self.undocumented = true;
        self
    }
    /// Documents the field with `schema` instead of the kind's (see [`Field::schema`]).
    pub fn schema(mut self, schema: fn() -> Value) -> Field {
        self.schema = Some(schema);
        self
    }
    pub fn non_empty(mut self) -> Field {
        if let Kind::RefList { ref mut non_empty, .. } = self.kind {
            *non_empty = true;
        }
        self
    }
    /// Restricts a reference to rows of one kind (e.g. a password stage).
    pub fn of_kind(mut self, k: &'static str) -> Field {
        if let Kind::Ref { ref mut kind, .. } = self.kind {
            *kind = Some(k);
        }
        self
    }

    /// How the column is stored.
    pub fn col_type(&self) -> ColType {
        match self.kind {
            Kind::Int | Kind::OwnInt | Kind::DateTime => ColType::Int,
            Kind::Ref { ty: KeyType::Int, .. } => ColType::Int,
            Kind::Bool => ColType::Bool,
            _ => ColType::Text,
        }
    }
}

/// Who may use a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Superusers only (authentik's RBAC reduced to its superuser level).
    Superuser,
    /// Everyone authenticated sees and changes only rows whose owner column is themselves;
    /// superusers see all.
    Owner(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Ops {
    pub list: bool,
    pub create: bool,
    pub retrieve: bool,
    pub update: bool,
    pub delete: bool,
}

impl Ops {
    pub const ALL: Ops = Ops { list: true, create: true, retrieve: true, update: true, delete: true };
    pub const READ_DELETE: Ops = Ops { list: true, create: false, retrieve: true, update: false, delete: true };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Create,
    Put,
    Patch,
}

/// A validated write: the fields that will be stored, as normalized JSON values, plus any
/// extra columns the hooks decided.
#[derive(Debug, Default, Clone)]
pub struct Input {
    pub fields: Map<String, Value>,
    pub extra: Vec<(String, SqlValue)>,
    /// Set by hooks: the primary key a create must use (blueprints keep exported pks).
    pub pk: Option<SqlValue>,
}

/// Per-resource behaviour that the description alone cannot say.
#[async_trait]
pub trait Hooks: Send + Sync {
    /// Runs before any field validation, with the raw body: permission rules that depend on
    /// the submitted values (so that nothing about other rows leaks through validation).
    async fn precheck(&self, _ctx: &Ctx<'_>, _mode: WriteMode, _body: &Map<String, Value>, _existing: Option<&Row>) -> EngineResult<()> {
        Ok(())
    }
    /// Field-level rules (DRF's `validate_<field>`), given the fields that passed their own
    /// checks; their errors are reported together with every other field error. Errors for
    /// a field that already failed are dropped.
    async fn validate_fields(&self, _ctx: &Ctx<'_>, _mode: WriteMode, _input: &Input, _existing: Option<&Row>) -> EngineResult<domain::errors::FieldErrors> {
        Ok(domain::errors::FieldErrors::new())
    }
    /// Cross-field rules and server-set values, after every field passed on its own.
    /// `existing` is the stored row on updates.
    async fn validate(&self, _ctx: &Ctx<'_>, _mode: WriteMode, _input: &mut Input, _existing: Option<&Row>) -> EngineResult<()> {
        Ok(())
    }
    /// Runs inside the write's transaction after the row itself was written.
    async fn after_write(&self, _ctx: &Ctx<'_>, _tx: &mut dyn Queries, _pk: &SqlValue, _input: &Input, _mode: WriteMode) -> EngineResult<()> {
        Ok(())
    }
    /// An extra condition on what the actor may see (beyond [`Access`]).
    fn scope(&self, _ctx: &Ctx<'_>) -> Cond {
        Cond::True
    }
}

pub struct NoHooks;
impl Hooks for NoHooks {}

/// A search field: a column of the resource, or a column reached through a foreign key.
#[derive(Debug, Clone)]
pub enum Search {
    Col(&'static str),
    /// Booleans match the terms `true`/`false` as PostgreSQL prints them.
    Bool(&'static str),
    Related { fk: &'static str, table: &'static str, key: &'static str, col: &'static str },
    /// An instant column, matched against its PostgreSQL text form (`2030-01-01 00:00:00+00`).
    DateTime(&'static str),
}

pub struct Resource {
    /// Contract component name, e.g. `User` (also `UserRequest`, `PaginatedUserList`).
    pub schema_name: &'static str,
    /// Path under `/api/v3`, with slashes: `/core/users/`.
    pub path: &'static str,
    /// Prefix of the operation ids, e.g. `core_users`.
    pub operation_prefix: &'static str,
    pub tag: &'static str,
    pub table: &'static str,
    /// Discriminator value in the table's `kind` column, for tables shared by several kinds.
    pub kind: Option<&'static str>,
    /// When set, the resource spans every kind of the table (`/stages/all/`) and this maps a
    /// row's kind to the concrete kind's metadata.
    pub polymorphic: Option<fn(&str) -> Option<Meta>>,
    pub meta: Meta,
    pub pk_column: &'static str,
    pub pk_type: KeyType,
    /// URL parameter name and column for object routes.
    pub lookup_param: &'static str,
    pub lookup_column: &'static str,
    pub lookup_type: LookupType,
    pub fields: Vec<Field>,
    /// Columns computed fields need that no field exposes.
    pub hidden_columns: Vec<(&'static str, ColType)>,
    pub filters: Vec<Filter>,
    pub search: Vec<Search>,
    /// Allowed `ordering` names and their columns.
    pub ordering: Vec<(&'static str, &'static str)>,
    pub default_order: Vec<&'static str>,
    pub unique_together: Vec<(&'static [&'static str], &'static str)>,
    pub used_by: Vec<UsedBy>,
    pub ops: Ops,
    pub access: Access,
    pub hooks: Arc<dyn Hooks>,
    pub actions: Vec<Action>,
    pub description: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupType {
    Uuid,
    Int,
    Text,
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Every stored column the resource reads, with its type.
    pub fn columns(&self) -> Vec<(String, ColType)> {
        let mut cols: Vec<(String, ColType)> = vec![];
        let mut push = |c: &str, t: ColType| {
            if !cols.iter().any(|(x, _)| x == c) {
                cols.push((c.to_string(), t));
            }
        };
        push(self.pk_column, if self.pk_type == KeyType::Int { ColType::Int } else { ColType::Text });
        if self.kind.is_some() || self.polymorphic.is_some() {
            push("kind", ColType::Text);
        }
        for f in &self.fields {
            if let Some(c) = f.column {
                push(c, f.col_type());
            }
        }
        for (c, t) in &self.hidden_columns {
            push(c, *t);
        }
        cols
    }

    /// The condition every query of this resource carries: its kind, and what the actor may see.
    pub fn base_cond(&self, ctx: &Ctx<'_>) -> Cond {
        let mut c = match self.kind {
            Some(k) => Cond::eq("kind", k),
            None => Cond::True,
        };
        if let Access::Owner(col) = self.access {
            if !ctx.is_superuser() {
                c = c.and(Cond::eq(col, ctx.actor_id().unwrap_or(-1)));
            }
        }
        c.and(self.hooks.scope(ctx))
    }

    pub fn pk_value(&self, row: &Row) -> SqlValue {
        row.get(self.pk_column).clone()
    }

    /// The metadata of a row: its concrete kind's on polymorphic resources.
    pub fn row_meta(&self, row: &Row) -> Meta {
        match (self.polymorphic, row.text("kind")) {
            (Some(f), Some(k)) => f(k).unwrap_or(self.meta),
            _ => self.meta,
        }
    }
}

/// Shorthands for default values.
pub fn v_true() -> Value {
    Value::Bool(true)
}
pub fn v_false() -> Value {
    Value::Bool(false)
}
pub fn v_empty_str() -> Value {
    Value::String(String::new())
}
pub fn v_empty_list() -> Value {
    Value::Array(vec![])
}
pub fn v_empty_obj() -> Value {
    Value::Object(Map::new())
}
pub fn v_null() -> Value {
    Value::Null
}
