//! The thing an action is performed on.

use std::borrow::Cow;

/// What a check is about: a kind of resource and whatever is known about the
/// instance (its id, tenant, organisation, owner, and application attributes that
/// custom scopes read).
///
/// Fields borrow where they can, so building a resource for a check costs no
/// allocation; the layer builds owned ones (`Resource<'static>`) from the request.
///
/// ```
/// use rampart::rbac::Resource;
///
/// let report = Resource::new("reports").with_tenant("acme");
/// let item = Resource::new("items").with_id("42").with_owner("alice").with_attribute("company", "c1");
/// assert_eq!(item.attribute("company"), Some("c1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resource<'a> {
    kind: Cow<'a, str>,
    id: Option<Cow<'a, str>>,
    tenant: Option<Cow<'a, str>>,
    org: Option<Cow<'a, str>>,
    owner: Option<Cow<'a, str>>,
    attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Resource<'a> {
    /// A resource of `kind` (`items`, `reports`) about which nothing else is known:
    /// only unscoped permissions can allow an action on it.
    pub fn new(kind: impl Into<Cow<'a, str>>) -> Self {
        Self {
            kind: kind.into(),
            ..Self::default()
        }
    }

    /// Sets the instance id (what grants are keyed by).
    #[must_use]
    pub fn with_id(mut self, id: impl Into<Cow<'a, str>>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the tenant the instance belongs to (what `own_tenant` compares).
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<Cow<'a, str>>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets the organisation the instance belongs to (what `own_org` compares).
    #[must_use]
    pub fn with_org(mut self, org: impl Into<Cow<'a, str>>) -> Self {
        self.org = Some(org.into());
        self
    }

    /// Sets the subject owning the instance (what `own` compares).
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<Cow<'a, str>>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Adds an application attribute for custom scopes (`company` = `c1`).
    #[must_use]
    pub fn with_attribute(
        mut self,
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// The kind of resource.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The instance id, if known.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The tenant, if known.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The organisation, if known.
    pub fn org(&self) -> Option<&str> {
        self.org.as_deref()
    }

    /// The owner, if known.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// The first attribute named `name`, if any.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &**v)
    }

    /// Every attribute, in insertion order.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attributes.iter().map(|(n, v)| (&**n, &**v))
    }

    /// A copy that owns its strings, to keep beyond the borrowed data.
    pub fn into_owned(self) -> Resource<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Resource {
            kind: own(self.kind),
            id: self.id.map(own),
            tenant: self.tenant.map(own),
            org: self.org.map(own),
            owner: self.owner.map(own),
            attributes: self
                .attributes
                .into_iter()
                .map(|(n, v)| (own(n), own(v)))
                .collect(),
        }
    }
}
