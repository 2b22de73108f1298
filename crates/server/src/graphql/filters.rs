//! The platform's `filtering` and `ordering` inputs of the identity and workspace lists, each
//! with how it applies to what tessera returns. Filters on fields tessera does not keep (group
//! membership, avatars, secondary names) compare against their empty value.

use super::paging::{
    combined, key, passes, BooleanFilter, DateFilter, FieldFilter, IdFilter, OrderBy, SortKey, StringFilter,
};
use super::types::{Collaborator, InvitationStatus, Member, ResourceType, Role, RoleType};
use async_graphql::{Enum, InputObject};
use tessera_core::ids::UserId;
use tessera_core::model;

/// The keys of a list of orderings: each `{field, order}`, then the fields set in `orderedField`.
fn keys_of<T, O>(list: &[O], each: impl Fn(&O) -> Vec<SortKey<T>>) -> Vec<SortKey<T>> {
    list.iter().flat_map(each).collect()
}

// ---- organizations ----

#[derive(InputObject, Default)]
pub struct OrganizationFilters {
    pub and: Option<Vec<OrganizationFilters>>,
    pub or: Option<Vec<OrganizationFilters>>,
    pub not: Option<Vec<OrganizationFilters>>,
    pub name: Option<StringFilter>,
    pub secondary_name: Option<StringFilter>,
    pub can_have_guests: Option<BooleanFilter>,
    pub is_custom_roles_enabled: Option<BooleanFilter>,
    pub is_guest_invite_approval_required: Option<BooleanFilter>,
}

impl OrganizationFilters {
    pub fn matches(&self, o: &model::Organization) -> bool {
        let own = passes(&self.name, o.name.as_str())
            && passes(&self.secondary_name, "")
            && passes(&self.can_have_guests, &true)
            && passes(&self.is_custom_roles_enabled, &false)
            && passes(&self.is_guest_invite_approval_required, &false);
        combined(o, own, &self.and, &self.or, &self.not, |f, o| f.matches(o))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
pub enum OrganizationOrderByField {
    CreatedAt,
    Name,
    SecondaryName,
    SubscriptionMode,
    UpdatedAt,
}

#[derive(InputObject, Default)]
pub struct OrganizationOrderedFields {
    pub created_at: Option<OrderBy>,
    pub name: Option<OrderBy>,
    pub secondary_name: Option<OrderBy>,
    pub subscription_mode: Option<OrderBy>,
    pub updated_at: Option<OrderBy>,
}

#[derive(InputObject)]
pub struct OrganizationOrdering {
    pub field: Option<OrganizationOrderByField>,
    #[graphql(default_with = "Some(OrderBy::Asc)")]
    pub order: Option<OrderBy>,
    pub ordered_field: Option<OrganizationOrderedFields>,
}

impl OrganizationOrdering {
    fn key(field: OrganizationOrderByField, order: OrderBy) -> SortKey<model::Organization> {
        match field {
            OrganizationOrderByField::Name => key(order, |o: &model::Organization| o.name.to_lowercase()),
            OrganizationOrderByField::CreatedAt | OrganizationOrderByField::UpdatedAt => {
                key(order, |o: &model::Organization| o.created_at)
            }
            OrganizationOrderByField::SecondaryName | OrganizationOrderByField::SubscriptionMode => {
                key(order, |_: &model::Organization| 0)
            }
        }
    }

    pub fn keys(list: &[Self]) -> Vec<SortKey<model::Organization>> {
        use OrganizationOrderByField::*;
        keys_of(list, |o| {
            let mut out: Vec<_> = o.field.map(|f| Self::key(f, o.order.unwrap_or_default())).into_iter().collect();
            if let Some(f) = &o.ordered_field {
                let fields = [
                    (CreatedAt, f.created_at),
                    (Name, f.name),
                    (SecondaryName, f.secondary_name),
                    (SubscriptionMode, f.subscription_mode),
                    (UpdatedAt, f.updated_at),
                ];
                out.extend(fields.into_iter().filter_map(|(field, order)| Some(Self::key(field, order?))));
            }
            out
        })
    }
}

// ---- workspaces ----

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "lowercase")]
pub enum OwnedBy {
    Me,
    Others,
}

#[derive(InputObject, Default)]
pub struct OwnedByFilter {
    pub eq: Option<OwnedBy>,
    pub ne: Option<OwnedBy>,
}

impl FieldFilter<OwnedBy> for OwnedByFilter {
    fn matches(&self, v: &OwnedBy) -> bool {
        self.eq.is_none_or(|e| *v == e) && self.ne.is_none_or(|n| *v != n)
    }
}

/// `me { workspaces(filtering: …) }`.
#[derive(InputObject, Default)]
pub struct UserWorkspaceFilters {
    pub and: Option<Vec<UserWorkspaceFilters>>,
    pub or: Option<Vec<UserWorkspaceFilters>>,
    pub not: Option<Vec<UserWorkspaceFilters>>,
    /// Workspaces the user is a collaborator of (true), or reaches only as public (false).
    pub associated_workspaces: Option<BooleanFilter>,
    pub created_at: Option<DateFilter>,
    pub id: Option<StringFilter>,
    pub is_public: Option<BooleanFilter>,
    pub name: Option<StringFilter>,
    pub organization_id: Option<StringFilter>,
    pub owned_by: Option<OwnedByFilter>,
    pub updated_at: Option<DateFilter>,
}

impl UserWorkspaceFilters {
    pub fn matches(&self, f: &model::AccessFacts, me: &UserId) -> bool {
        let w = &f.workspace;
        let owned = if w.owner_id == *me { OwnedBy::Me } else { OwnedBy::Others };
        let own = passes(&self.created_at, &w.created_at)
            && passes(&self.updated_at, &w.created_at)
            && passes(&self.id, w.id.as_str())
            && passes(&self.is_public, &w.is_public)
            && passes(&self.name, w.name.as_str())
            && passes(&self.organization_id, w.org_id.as_str())
            && passes(&self.owned_by, &owned)
            && passes(&self.associated_workspaces, &f.workspace_role.is_some());
        combined(f, own, &self.and, &self.or, &self.not, |filter, f| filter.matches(f, me))
    }
}

/// `workspaces(filtering: …)`.
#[derive(InputObject, Default)]
pub struct WorkspaceFilters {
    pub and: Option<Vec<WorkspaceFilters>>,
    pub or: Option<Vec<WorkspaceFilters>>,
    pub not: Option<Vec<WorkspaceFilters>>,
    pub created_at: Option<DateFilter>,
    pub id: Option<StringFilter>,
    pub is_public: Option<BooleanFilter>,
    pub name: Option<StringFilter>,
    pub organization_id: Option<StringFilter>,
    pub updated_at: Option<DateFilter>,
}

impl WorkspaceFilters {
    pub fn matches(&self, w: &model::Workspace) -> bool {
        let own = passes(&self.created_at, &w.created_at)
            && passes(&self.updated_at, &w.created_at)
            && passes(&self.id, w.id.as_str())
            && passes(&self.is_public, &w.is_public)
            && passes(&self.name, w.name.as_str())
            && passes(&self.organization_id, w.org_id.as_str());
        combined(w, own, &self.and, &self.or, &self.not, |f, w| f.matches(w))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
pub enum WorkspaceOrderByField {
    ContentUpdatedAt,
    CreatedAt,
    Name,
    UpdatedAt,
}

#[derive(InputObject, Default)]
pub struct WorkspaceOrderedFields {
    pub content_updated_at: Option<OrderBy>,
    pub created_at: Option<OrderBy>,
    pub name: Option<OrderBy>,
    pub updated_at: Option<OrderBy>,
}

#[derive(InputObject)]
pub struct WorkspaceOrdering {
    pub field: Option<WorkspaceOrderByField>,
    #[graphql(default_with = "Some(OrderBy::Asc)")]
    pub order: Option<OrderBy>,
    pub ordered_field: Option<WorkspaceOrderedFields>,
}

impl WorkspaceOrdering {
    fn key(field: WorkspaceOrderByField, order: OrderBy) -> SortKey<model::Workspace> {
        match field {
            WorkspaceOrderByField::Name => key(order, |w: &model::Workspace| w.name.to_lowercase()),
            _ => key(order, |w: &model::Workspace| w.created_at),
        }
    }

    pub fn keys(list: &[Self]) -> Vec<SortKey<model::Workspace>> {
        use WorkspaceOrderByField::*;
        keys_of(list, |o| {
            let mut out: Vec<_> = o.field.map(|f| Self::key(f, o.order.unwrap_or_default())).into_iter().collect();
            if let Some(f) = &o.ordered_field {
                let fields = [
                    (ContentUpdatedAt, f.content_updated_at),
                    (CreatedAt, f.created_at),
                    (Name, f.name),
                    (UpdatedAt, f.updated_at),
                ];
                out.extend(fields.into_iter().filter_map(|(field, order)| Some(Self::key(field, order?))));
            }
            out
        })
    }
}

// ---- people: the users list ----

/// The platform's `UserFilters`. tessera records no sign-in times per user, so a
/// `lastLoggedInAt` filter matches no one.
#[derive(InputObject, Default)]
pub struct UserFilters {
    pub and: Option<Vec<UserFilters>>,
    pub or: Option<Vec<UserFilters>>,
    pub not: Option<Vec<UserFilters>>,
    pub avatar_url: Option<StringFilter>,
    pub email: Option<StringFilter>,
    pub first_name: Option<StringFilter>,
    pub invitation_status: Option<InvitationStatusFilter>,
    pub last_logged_in_at: Option<DateFilter>,
    pub last_name: Option<StringFilter>,
}

impl UserFilters {
    pub fn matches(&self, u: &model::User) -> bool {
        let own = passes(&self.avatar_url, "")
            && passes(&self.email, u.email.as_deref().unwrap_or_default())
            && passes(&self.first_name, u.first_name.as_str())
            && passes(&self.invitation_status, &InvitationStatus::Accepted)
            && self.last_logged_in_at.is_none()
            && passes(&self.last_name, u.last_name.as_str());
        combined(u, own, &self.and, &self.or, &self.not, |f, u| f.matches(u))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
pub enum UserOrderByField {
    Email,
    FirstName,
    LastLoggedInAt,
    LastName,
}

#[derive(InputObject, Default)]
pub struct UserOrderedFields {
    pub email: Option<OrderBy>,
    pub last_logged_in_at: Option<OrderBy>,
    pub last_name: Option<OrderBy>,
    pub updated_at: Option<OrderBy>,
}

#[derive(InputObject)]
pub struct UserOrdering {
    pub field: Option<UserOrderByField>,
    #[graphql(default_with = "Some(OrderBy::Asc)")]
    pub order: Option<OrderBy>,
    pub ordered_field: Option<UserOrderedFields>,
}

impl UserOrdering {
    /// Unrecorded sign-in times order by creation, as `updatedAt` does (users are not updated).
    fn key(field: UserOrderByField, order: OrderBy) -> SortKey<model::User> {
        match field {
            UserOrderByField::Email => key(order, |u: &model::User| u.email.clone().unwrap_or_default().to_lowercase()),
            UserOrderByField::FirstName => key(order, |u: &model::User| u.first_name.to_lowercase()),
            UserOrderByField::LastName => key(order, |u: &model::User| u.last_name.to_lowercase()),
            UserOrderByField::LastLoggedInAt => key(order, |u: &model::User| u.created_at),
        }
    }

    pub fn keys(list: &[Self]) -> Vec<SortKey<model::User>> {
        use UserOrderByField::*;
        keys_of(list, |o| {
            let mut out: Vec<_> = o.field.map(|f| Self::key(f, o.order.unwrap_or_default())).into_iter().collect();
            if let Some(f) = &o.ordered_field {
                let fields = [(Email, f.email), (LastLoggedInAt, f.last_logged_in_at), (LastName, f.last_name)];
                out.extend(fields.into_iter().filter_map(|(field, order)| Some(Self::key(field, order?))));
                out.extend(f.updated_at.map(|order| Self::key(LastLoggedInAt, order)));
            }
            out
        })
    }
}

// ---- people: members and collaborators ----

#[derive(InputObject, Default)]
pub struct InvitationStatusFilter {
    pub eq: Option<InvitationStatus>,
    pub ne: Option<InvitationStatus>,
}

impl FieldFilter<InvitationStatus> for InvitationStatusFilter {
    fn matches(&self, v: &InvitationStatus) -> bool {
        self.eq.is_none_or(|e| *v == e) && self.ne.is_none_or(|n| *v != n)
    }
}

/// The filters on a person (or bot) of a member or collaborator list.
macro_rules! user_filters {
    ($name:ident) => {
        #[derive(InputObject, Default)]
        pub struct $name {
            pub and: Option<Vec<$name>>,
            pub or: Option<Vec<$name>>,
            pub not: Option<Vec<$name>>,
            pub avatar_url: Option<StringFilter>,
            pub email: Option<StringFilter>,
            pub first_name: Option<StringFilter>,
            pub id: Option<StringFilter>,
            pub invitation_status: Option<InvitationStatusFilter>,
            pub last_name: Option<StringFilter>,
        }

        impl $name {
            pub fn matches(&self, u: &model::User) -> bool {
                let own = passes(&self.avatar_url, "")
                    && passes(&self.email, u.email.as_deref().unwrap_or_default())
                    && passes(&self.first_name, u.first_name.as_str())
                    && passes(&self.id, u.id.as_str())
                    && passes(&self.invitation_status, &InvitationStatus::Accepted)
                    && passes(&self.last_name, u.last_name.as_str());
                combined(u, own, &self.and, &self.or, &self.not, |f, u| f.matches(u))
            }
        }
    };
}

/// The filters on the role of a member or collaborator.
macro_rules! role_filters {
    ($name:ident) => {
        #[derive(InputObject, Default)]
        pub struct $name {
            pub and: Option<Vec<$name>>,
            pub or: Option<Vec<$name>>,
            pub not: Option<Vec<$name>>,
            pub description: Option<StringFilter>,
            pub id: Option<StringFilter>,
            pub is_custom: Option<BooleanFilter>,
            pub name: Option<StringFilter>,
            pub resource_type: Option<StringFilter>,
            pub r#type: Option<StringFilter>,
        }

        impl $name {
            pub fn matches(&self, r: &Role) -> bool {
                let own = passes(&self.description, r.description.as_str())
                    && passes(&self.id, r.id.as_str())
                    && passes(&self.is_custom, &false)
                    && passes(&self.name, r.name.as_str())
                    && passes(&self.resource_type, resource_type_name(r.resource_type))
                    && passes(&self.r#type, role_type_name(r.role_type()));
                combined(r, own, &self.and, &self.or, &self.not, |f, r| f.matches(r))
            }
        }
    };
}

/// The filters on a group member or collaborator: tessera has no groups, so a list filtered by
/// group has no person in it.
macro_rules! group_filters {
    ($name:ident) => {
        #[derive(InputObject, Default)]
        pub struct $name {
            pub and: Option<Vec<$name>>,
            pub or: Option<Vec<$name>>,
            pub not: Option<Vec<$name>>,
            pub description: Option<StringFilter>,
            pub id: Option<StringFilter>,
            pub name: Option<StringFilter>,
            pub r#type: Option<StringFilter>,
        }
    };
}

user_filters!(MemberUserFilters);
user_filters!(CollaboratorUserFilters);
role_filters!(MemberRoleFilters);
role_filters!(CollaboratorRoleFilters);
group_filters!(MemberGroupFilters);
group_filters!(CollaboratorGroupFilters);

fn resource_type_name(r: ResourceType) -> &'static str {
    match r {
        ResourceType::Account => "Account",
        ResourceType::Application => "Application",
        ResourceType::Group => "Group",
        ResourceType::Organization => "Organization",
        ResourceType::Template => "Template",
        ResourceType::Workspace => "Workspace",
    }
}

fn role_type_name(r: RoleType) -> &'static str {
    match r {
        RoleType::Admin => "Admin",
        RoleType::App => "App",
        RoleType::Owner => "Owner",
        RoleType::User => "User",
        RoleType::Visitor => "Visitor",
    }
}

#[derive(InputObject, Default)]
pub struct MemberFilters {
    pub and: Option<Vec<MemberFilters>>,
    pub or: Option<Vec<MemberFilters>>,
    pub not: Option<Vec<MemberFilters>>,
    pub group: Option<MemberGroupFilters>,
    pub organization_role: Option<MemberRoleFilters>,
    pub user: Option<MemberUserFilters>,
}

impl MemberFilters {
    pub fn matches(&self, m: &Member) -> bool {
        let own = self.group.is_none()
            && self.user.as_ref().is_none_or(|f| f.matches(&m.member.user))
            && self.organization_role.as_ref().is_none_or(|f| m.role().is_some_and(|r| f.matches(&r)));
        combined(m, own, &self.and, &self.or, &self.not, |f, m| f.matches(m))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
pub enum MemberOrderByField {
    Email,
}

#[derive(InputObject, Default)]
pub struct MemberOrderedFields {
    pub email: Option<OrderBy>,
}

#[derive(InputObject)]
pub struct MemberOrdering {
    pub field: Option<MemberOrderByField>,
    #[graphql(default_with = "Some(OrderBy::Asc)")]
    pub order: Option<OrderBy>,
    pub ordered_field: Option<MemberOrderedFields>,
}

impl MemberOrdering {
    fn by_email(order: OrderBy) -> SortKey<Member> {
        key(order, |m: &Member| m.member.user.email.clone().unwrap_or_default().to_lowercase())
    }

    pub fn keys(list: &[Self]) -> Vec<SortKey<Member>> {
        keys_of(list, |o| {
            let mut out: Vec<_> = o.field.map(|_| Self::by_email(o.order.unwrap_or_default())).into_iter().collect();
            out.extend(o.ordered_field.as_ref().and_then(|f| f.email).map(Self::by_email));
            out
        })
    }
}

#[derive(InputObject, Default)]
pub struct CollaboratorFilters {
    pub and: Option<Vec<CollaboratorFilters>>,
    pub or: Option<Vec<CollaboratorFilters>>,
    pub not: Option<Vec<CollaboratorFilters>>,
    pub group: Option<CollaboratorGroupFilters>,
    pub user: Option<CollaboratorUserFilters>,
    pub workspace_role: Option<CollaboratorRoleFilters>,
}

impl CollaboratorFilters {
    pub fn matches(&self, c: &Collaborator) -> bool {
        let own = self.group.is_none()
            && self.user.as_ref().is_none_or(|f| f.matches(&c.user))
            && self.workspace_role.as_ref().is_none_or(|f| f.matches(&c.role));
        combined(c, own, &self.and, &self.or, &self.not, |f, c| f.matches(c))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
pub enum CollaboratorOrderByField {
    CreatedAt,
    Name,
    UpdatedAt,
}

#[derive(InputObject, Default)]
pub struct CollaboratorOrderedFields {
    pub created_at: Option<OrderBy>,
    pub name: Option<OrderBy>,
    pub updated_at: Option<OrderBy>,
}

#[derive(InputObject)]
pub struct CollaboratorOrdering {
    pub field: Option<CollaboratorOrderByField>,
    #[graphql(default_with = "Some(OrderBy::Asc)")]
    pub order: Option<OrderBy>,
    pub ordered_field: Option<CollaboratorOrderedFields>,
}

impl CollaboratorOrdering {
    fn key(field: CollaboratorOrderByField, order: OrderBy) -> SortKey<Collaborator> {
        match field {
            CollaboratorOrderByField::Name => {
                key(order, |c: &Collaborator| format!("{} {}", c.user.first_name, c.user.last_name).to_lowercase())
            }
            _ => key(order, |c: &Collaborator| c.user.created_at),
        }
    }

    pub fn keys(list: &[Self]) -> Vec<SortKey<Collaborator>> {
        use CollaboratorOrderByField::*;
        keys_of(list, |o| {
            let mut out: Vec<_> = o.field.map(|f| Self::key(f, o.order.unwrap_or_default())).into_iter().collect();
            if let Some(f) = &o.ordered_field {
                let fields = [(CreatedAt, f.created_at), (Name, f.name), (UpdatedAt, f.updated_at)];
                out.extend(fields.into_iter().filter_map(|(field, order)| Some(Self::key(field, order?))));
            }
            out
        })
    }
}

// ---- roles ----

#[derive(InputObject, Default)]
pub struct ResourceTypeFilter {
    pub eq: Option<ResourceType>,
    pub ne: Option<ResourceType>,
}

#[derive(InputObject, Default)]
pub struct RoleTypeFilter {
    pub eq: Option<RoleType>,
    pub ne: Option<RoleType>,
}

#[derive(InputObject, Default)]
pub struct RoleFilters {
    pub and: Option<Vec<RoleFilters>>,
    pub or: Option<Vec<RoleFilters>>,
    pub not: Option<Vec<RoleFilters>>,
    pub is_custom: Option<BooleanFilter>,
    pub name: Option<StringFilter>,
    /// Built-in roles belong to no organization and are offered in every one: this filter
    /// keeps them all.
    pub organization_id: Option<IdFilter>,
    pub resource_type: Option<ResourceTypeFilter>,
    pub r#type: Option<RoleTypeFilter>,
}

impl RoleFilters {
    pub fn matches(&self, r: &Role) -> bool {
        let resource = self
            .resource_type
            .as_ref()
            .is_none_or(|f| f.eq.is_none_or(|e| r.resource_type == e) && f.ne.is_none_or(|n| r.resource_type != n));
        let kind = self
            .r#type
            .as_ref()
            .is_none_or(|f| f.eq.is_none_or(|e| r.role_type() == e) && f.ne.is_none_or(|n| r.role_type() != n));
        let own = resource && kind && passes(&self.is_custom, &false) && passes(&self.name, r.name.as_str());
        combined(r, own, &self.and, &self.or, &self.not, |f, r| f.matches(r))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "camelCase")]
pub enum RoleOrderByField {
    Name,
}

#[derive(InputObject, Default)]
pub struct RoleOrderedFields {
    pub name: Option<OrderBy>,
}

#[derive(InputObject)]
pub struct RoleOrdering {
    pub field: Option<RoleOrderByField>,
    #[graphql(default_with = "Some(OrderBy::Asc)")]
    pub order: Option<OrderBy>,
    pub ordered_field: Option<RoleOrderedFields>,
}

impl RoleOrdering {
    fn by_name(order: OrderBy) -> SortKey<Role> {
        key(order, |r: &Role| r.name.to_lowercase())
    }

    pub fn keys(list: &[Self]) -> Vec<SortKey<Role>> {
        keys_of(list, |o| {
            let mut out: Vec<_> = o.field.map(|_| Self::by_name(o.order.unwrap_or_default())).into_iter().collect();
            out.extend(o.ordered_field.as_ref().and_then(|f| f.name).map(Self::by_name));
            out
        })
    }
}
