//! The plain API: a validated, precomputed set of security headers.

use crate::csp::{CompiledCsp, ContentSecurityPolicy, CspNonce, Directive};
use crate::values::{
    CrossOriginEmbedderPolicy, CrossOriginOpenerPolicy, CrossOriginResourcePolicy, FrameOptions,
    ReferrerPolicy,
};
use crate::{ConfigError, Hsts, PermissionsPolicy};
use http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY, Entry, HeaderName,
    REFERRER_POLICY, SERVER, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_DNS_PREFETCH_CONTROL, X_FRAME_OPTIONS, X_XSS_PROTECTION,
};
use http::{HeaderMap, HeaderValue};

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
const COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
const COEP: HeaderName = HeaderName::from_static("cross-origin-embedder-policy");
const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");
const ORIGIN_AGENT_CLUSTER: HeaderName = HeaderName::from_static("origin-agent-cluster");
const X_PERMITTED_CROSS_DOMAIN_POLICIES: HeaderName =
    HeaderName::from_static("x-permitted-cross-domain-policies");
const X_DOWNLOAD_OPTIONS: HeaderName = HeaderName::from_static("x-download-options");
const X_POWERED_BY: HeaderName = HeaderName::from_static("x-powered-by");
const REPORTING_ENDPOINTS: HeaderName = HeaderName::from_static("reporting-endpoints");

/// Security headers, checked and rendered once, applied to each response.
///
/// Build one from a preset ([`SecurityHeaders::builder`] for a server-rendered
/// site, [`api`](SecurityHeaders::api), [`spa`](SecurityHeaders::spa),
/// [`strict`](SecurityHeaders::strict)), adjust it, and hand it to
/// [`crate::SecurityHeadersLayer`]. Every header value is validated and
/// rendered in [`SecurityHeadersBuilder::build`]; applying them costs a few
/// map insertions, plus one string join when the CSP carries a nonce.
///
/// ```
/// use rampart::headers::{SecurityHeaders, ReferrerPolicy};
/// use http::HeaderMap;
///
/// let headers = SecurityHeaders::api()
///     .referrer_policy(ReferrerPolicy::StrictOrigin)
///     .build()
///     .unwrap();
/// let mut response_headers = HeaderMap::new();
/// response_headers.insert("server", "nginx/1.2".parse().unwrap());
/// headers.apply(&mut response_headers, None);
/// assert_eq!(response_headers["content-security-policy"],
///            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
/// assert_eq!(response_headers["referrer-policy"], "strict-origin");
/// assert!(response_headers.get("server").is_none());
/// ```
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    fixed: Vec<(HeaderName, HeaderValue)>,
    nonce_csp: Option<(HeaderName, CompiledCsp)>,
    remove: Vec<HeaderName>,
    override_existing: bool,
}

/// Builds [`SecurityHeaders`]; every setter's docs say its default.
#[derive(Debug, Clone)]
#[must_use]
pub struct SecurityHeadersBuilder {
    hsts: Option<Hsts>,
    csp: Option<ContentSecurityPolicy>,
    frame_options: Option<FrameOptions>,
    referrer_policy: Option<ReferrerPolicy>,
    permissions_policy: PermissionsPolicy,
    coop: Option<CrossOriginOpenerPolicy>,
    coep: Option<CrossOriginEmbedderPolicy>,
    corp: Option<CrossOriginResourcePolicy>,
    legacy_headers: bool,
    remove: Vec<HeaderName>,
    override_existing: bool,
}

impl SecurityHeaders {
    /// Defaults for a server-rendered site, at least as strict as helmet's: the
    /// same CSP except framing (`frame-ancestors 'none'` with `X-Frame-Options:
    /// DENY`), HSTS for two years with subdomains, COOP and CORP `same-origin`,
    /// `Referrer-Policy: no-referrer`, a Permissions-Policy denying powerful
    /// features, and the legacy hardening headers (`nosniff`, DNS prefetch off,
    /// `noopen`, no cross-domain policies, `X-XSS-Protection: 0`).
    pub fn builder() -> SecurityHeadersBuilder {
        SecurityHeadersBuilder {
            hsts: Some(Hsts::default()),
            csp: Some(
                ContentSecurityPolicy::new()
                    .default_src(["'self'"])
                    .base_uri(["'self'"])
                    .font_src(["'self'", "https:", "data:"])
                    .form_action(["'self'"])
                    .frame_ancestors(["'none'"])
                    .img_src(["'self'", "data:"])
                    .object_src(["'none'"])
                    .script_src(["'self'"])
                    .script_src_attr(["'none'"])
                    .style_src(["'self'", "https:", "'unsafe-inline'"])
                    .upgrade_insecure_requests(),
            ),
            frame_options: Some(FrameOptions::Deny),
            referrer_policy: Some(ReferrerPolicy::NoReferrer),
            permissions_policy: PermissionsPolicy::default(),
            coop: Some(CrossOriginOpenerPolicy::SameOrigin),
            coep: None,
            corp: Some(CrossOriginResourcePolicy::SameOrigin),
            legacy_headers: true,
            remove: vec![SERVER, X_POWERED_BY],
            override_existing: false,
        }
    }

    /// For JSON APIs: nothing may load, frame, submit or be based anywhere
    /// (`default-src 'none'; base-uri 'none'; form-action 'none';
    /// frame-ancestors 'none'`), plus everything [`SecurityHeaders::builder`] sets.
    pub fn api() -> SecurityHeadersBuilder {
        Self::builder().csp(
            ContentSecurityPolicy::new()
                .default_src(["'none'"])
                .base_uri(["'none'"])
                .form_action(["'none'"])
                .frame_ancestors(["'none'"]),
        )
    }

    /// For a single-page app served by this service: scripts and styles only
    /// from this origin or carrying the per-response nonce, images and fonts
    /// from this origin, XHR to this origin, no plugins, no framing:
    /// `script-src 'self' 'nonce-…'; style-src 'self' 'nonce-…'`.
    ///
    /// This is what a bundler's build needs. Its `index.html` loads the
    /// app with `<script type="module" src="/assets/index-….js">` and the app
    /// loads its other chunks from the same origin: `'self'` lets all of them
    /// run as they are, from a static file, with no nonce on any tag. Inline
    /// scripts need the nonce: serve `index.html` through
    /// [`NonceHtml`](crate::NonceHtml), which writes the response's nonce
    /// where the page says `{{csp_nonce}}`. An injected inline script or
    /// event handler carries no nonce and does not run.
    ///
    /// The preset has no `'strict-dynamic'`: with it, browsers ignore
    /// `'self'`, so every `<script src>` in the page, same-origin ones
    /// included, must carry the nonce and a plain `index.html` no longer
    /// starts. Add it, with [`ContentSecurityPolicy::script_src`], only when
    /// every script tag is nonced (a server-rendered page, or `index.html`
    /// built with Vite's `html.cspNonce = "{{csp_nonce}}"` and served through
    /// `NonceHtml`) and scripts must load scripts from other origins. Without
    /// it, a same-origin URL that answers attacker-chosen JavaScript (JSONP,
    /// user uploads) would run: serve such content from another origin.
    pub fn spa() -> SecurityHeadersBuilder {
        Self::builder().csp(
            ContentSecurityPolicy::new()
                .default_src(["'self'"])
                .script_src(["'self'", "'nonce'"])
                .style_src(["'self'", "'nonce'"])
                .img_src(["'self'", "data:"])
                .font_src(["'self'"])
                .connect_src(["'self'"])
                .object_src(["'none'"])
                .base_uri(["'none'"])
                .form_action(["'self'"])
                .frame_ancestors(["'none'"])
                .upgrade_insecure_requests(),
        )
    }

    /// [`SecurityHeaders::api`] plus HSTS preload (two years), cross-origin
    /// isolation (COEP `require-corp`) and Trusted Types for DOM sinks.
    pub fn strict() -> SecurityHeadersBuilder {
        Self::builder()
            .csp(
                ContentSecurityPolicy::new()
                    .default_src(["'none'"])
                    .base_uri(["'none'"])
                    .form_action(["'none'"])
                    .frame_ancestors(["'none'"])
                    .require_trusted_types(),
            )
            .hsts(Hsts::default().preload())
            .cross_origin_embedder_policy(CrossOriginEmbedderPolicy::RequireCorp)
    }

    /// Whether responses need a fresh CSP nonce.
    pub fn uses_nonce(&self) -> bool {
        self.nonce_csp.is_some()
    }

    /// Sets the headers on a response's `headers`, keeping any the handler set
    /// itself unless the policy overrides, and removes `Server` and
    /// `X-Powered-By`. `nonce` fills the CSP's nonce; without one, a policy that
    /// needs a nonce is rendered with a fresh one.
    pub fn apply(&self, headers: &mut HeaderMap, nonce: Option<&CspNonce>) {
        for name in &self.remove {
            headers.remove(name);
        }
        headers.reserve(self.fixed.len() + 1);
        for (name, value) in &self.fixed {
            self.set(headers, name, || value.clone());
        }
        if let Some((name, csp)) = &self.nonce_csp {
            self.set(headers, name, || {
                let fresh;
                let nonce = match nonce {
                    Some(n) => n,
                    None => {
                        fresh = CspNonce::generate();
                        &fresh
                    }
                };
                // A nonce is base64 and the template was validated: always a valid value.
                HeaderValue::try_from(csp.render(nonce))
                    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
            });
        }
    }

    fn set(&self, headers: &mut HeaderMap, name: &HeaderName, value: impl FnOnce() -> HeaderValue) {
        if self.override_existing {
            headers.insert(name, value());
        } else if let Entry::Vacant(slot) = headers.entry(name) {
            slot.insert(value());
        }
    }

    /// The headers with fixed values, in the order they are applied.
    pub fn fixed_headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.fixed.iter().map(|(n, v)| (n, v))
    }
}

impl SecurityHeadersBuilder {
    /// `Strict-Transport-Security`. Default: two years, `includeSubDomains`.
    pub fn hsts(mut self, hsts: Hsts) -> Self {
        self.hsts = Some(hsts);
        self
    }

    /// Sends no HSTS header, for plain-HTTP development servers.
    pub fn insecure_without_hsts(mut self) -> Self {
        self.hsts = None;
        self
    }

    /// The Content-Security-Policy. Default: the preset's.
    pub fn csp(mut self, csp: ContentSecurityPolicy) -> Self {
        self.csp = Some(csp);
        self
    }

    /// Adjusts the CSP set so far (the preset's, or one set with
    /// [`SecurityHeadersBuilder::csp`]); nothing happens when there is none.
    pub(crate) fn map_csp(
        mut self,
        f: impl FnOnce(ContentSecurityPolicy) -> ContentSecurityPolicy,
    ) -> Self {
        self.csp = self.csp.map(f);
        self
    }

    /// Sends no CSP at all.
    pub fn insecure_without_csp(mut self) -> Self {
        self.csp = None;
        self
    }

    /// `X-Frame-Options`, and `frame-ancestors` to match when the CSP has none.
    /// Default: `DENY`.
    pub fn frame_options(mut self, frame_options: FrameOptions) -> Self {
        self.frame_options = Some(frame_options);
        self
    }

    /// `Referrer-Policy`. Default: `no-referrer`.
    pub fn referrer_policy(mut self, policy: ReferrerPolicy) -> Self {
        self.referrer_policy = Some(policy);
        self
    }

    /// `Permissions-Policy`. Default: [`PermissionsPolicy::default`] (powerful
    /// features denied); an empty policy sends no header.
    pub fn permissions_policy(mut self, policy: PermissionsPolicy) -> Self {
        self.permissions_policy = policy;
        self
    }

    /// `Cross-Origin-Opener-Policy`. Default: `same-origin`.
    pub fn cross_origin_opener_policy(mut self, policy: CrossOriginOpenerPolicy) -> Self {
        self.coop = Some(policy);
        self
    }

    /// `Cross-Origin-Embedder-Policy`. Default: not sent (as helmet), except in
    /// [`SecurityHeaders::strict`]: `require-corp` breaks pages embedding
    /// cross-origin resources that do not opt in.
    pub fn cross_origin_embedder_policy(mut self, policy: CrossOriginEmbedderPolicy) -> Self {
        self.coep = Some(policy);
        self
    }

    /// `Cross-Origin-Resource-Policy`. Default: `same-origin`.
    pub fn cross_origin_resource_policy(mut self, policy: CrossOriginResourcePolicy) -> Self {
        self.corp = Some(policy);
        self
    }

    /// Also removes `name` from every response (default: `Server`, `X-Powered-By`).
    pub fn remove_header(mut self, name: HeaderName) -> Self {
        self.remove.push(name);
        self
    }

    /// Replaces headers the handler set itself. Default: `false`, a handler
    /// that sets, say, its own CSP for one page keeps it.
    pub fn override_existing(mut self, yes: bool) -> Self {
        self.override_existing = yes;
        self
    }

    /// Validates every value and renders the headers.
    ///
    /// # Errors
    /// The first invalid value: HSTS preload without its requirements, a bad
    /// CSP source or reporting endpoint, a malformed Permissions-Policy entry.
    pub fn build(self) -> Result<SecurityHeaders, ConfigError> {
        let mut fixed: Vec<(HeaderName, HeaderValue)> = Vec::new();
        let mut push = |name: HeaderName, label: &'static str, value: &str| {
            HeaderValue::from_str(value)
                .map(|v| fixed.push((name, v)))
                .map_err(|_| ConfigError::InvalidHeaderValue { header: label })
        };
        let mut nonce_csp = None;
        if let Some(mut csp) = self.csp {
            if let Some(frame) = self.frame_options
                && !csp.has(Directive::FrameAncestors)
            {
                csp = csp.frame_ancestors([frame.frame_ancestors()]);
            }
            let compiled = csp.compile()?;
            let name = if compiled.is_report_only() {
                CONTENT_SECURITY_POLICY_REPORT_ONLY
            } else {
                CONTENT_SECURITY_POLICY
            };
            if let Some(endpoints) = &compiled.reporting_endpoints {
                push(REPORTING_ENDPOINTS, "reporting-endpoints", endpoints)?;
            }
            match compiled.static_value() {
                Some(value) => push(name, "content-security-policy", value)?,
                None => nonce_csp = Some((name, compiled)),
            }
        }
        if let Some(hsts) = self.hsts {
            push(
                STRICT_TRANSPORT_SECURITY,
                "strict-transport-security",
                &hsts.header_value()?,
            )?;
        }
        if let Some(frame) = self.frame_options {
            push(X_FRAME_OPTIONS, "x-frame-options", frame.as_str())?;
        }
        if let Some(policy) = self.referrer_policy {
            push(REFERRER_POLICY, "referrer-policy", policy.as_str())?;
        }
        if !self.permissions_policy.is_empty() {
            let value = self.permissions_policy.header_value()?;
            push(PERMISSIONS_POLICY, "permissions-policy", &value)?;
        }
        if let Some(coop) = self.coop {
            push(COOP, "cross-origin-opener-policy", coop.as_str())?;
        }
        if let Some(coep) = self.coep {
            push(COEP, "cross-origin-embedder-policy", coep.as_str())?;
        }
        if let Some(corp) = self.corp {
            push(CORP, "cross-origin-resource-policy", corp.as_str())?;
        }
        push(X_CONTENT_TYPE_OPTIONS, "x-content-type-options", "nosniff")?;
        if self.legacy_headers {
            push(ORIGIN_AGENT_CLUSTER, "origin-agent-cluster", "?1")?;
            push(X_DNS_PREFETCH_CONTROL, "x-dns-prefetch-control", "off")?;
            push(X_DOWNLOAD_OPTIONS, "x-download-options", "noopen")?;
            push(
                X_PERMITTED_CROSS_DOMAIN_POLICIES,
                "x-permitted-cross-domain-policies",
                "none",
            )?;
            push(X_XSS_PROTECTION, "x-xss-protection", "0")?;
        }
        Ok(SecurityHeaders {
            fixed,
            nonce_csp,
            remove: self.remove,
            override_existing: self.override_existing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(headers: &SecurityHeaders) -> HeaderMap {
        let mut map = HeaderMap::new();
        headers.apply(&mut map, None);
        map
    }

    #[test]
    fn handler_headers_are_kept_unless_overridden() {
        let mut map = HeaderMap::new();
        map.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        SecurityHeaders::api()
            .build()
            .unwrap()
            .apply(&mut map, None);
        assert_eq!(map[X_FRAME_OPTIONS], "SAMEORIGIN");

        let mut map = HeaderMap::new();
        map.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        SecurityHeaders::api()
            .override_existing(true)
            .build()
            .unwrap()
            .apply(&mut map, None);
        assert_eq!(map[X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn frame_ancestors_follow_frame_options() {
        let headers = SecurityHeaders::builder()
            .csp(ContentSecurityPolicy::new().default_src(["'self'"]))
            .frame_options(FrameOptions::SameOrigin)
            .build()
            .unwrap();
        let map = applied(&headers);
        assert_eq!(
            map[CONTENT_SECURITY_POLICY],
            "default-src 'self'; frame-ancestors 'self'"
        );
    }

    #[test]
    fn spa_nonce_is_fresh_per_application() {
        let headers = SecurityHeaders::spa().build().unwrap();
        assert!(headers.uses_nonce());
        let a = applied(&headers);
        let b = applied(&headers);
        assert_ne!(a[CONTENT_SECURITY_POLICY], b[CONTENT_SECURITY_POLICY]);
        let nonce = CspNonce::generate();
        let mut map = HeaderMap::new();
        headers.apply(&mut map, Some(&nonce));
        let csp = map[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains(&format!("'nonce-{nonce}'")), "{csp}");
    }

    #[test]
    fn spa_scripts_come_from_this_origin_or_carry_the_nonce_without_strict_dynamic() {
        let headers = SecurityHeaders::spa().build().unwrap();
        let nonce = CspNonce::generate();
        let mut map = HeaderMap::new();
        headers.apply(&mut map, Some(&nonce));
        let csp = map[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains(&format!("script-src 'self' 'nonce-{nonce}';")),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
            "{csp}"
        );
        // 'strict-dynamic' would make browsers ignore 'self' and block the
        // bundle's un-nonced <script src>.
        assert!(!csp.contains("strict-dynamic"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }

    #[test]
    fn report_only_uses_the_other_header() {
        let headers = SecurityHeaders::api()
            .csp(
                ContentSecurityPolicy::new()
                    .default_src(["'self'"])
                    .report_only(true)
                    .report_to("csp", "https://r.example.com/"),
            )
            .build()
            .unwrap();
        let map = applied(&headers);
        assert!(map.get(CONTENT_SECURITY_POLICY).is_none());
        assert!(map.get(CONTENT_SECURITY_POLICY_REPORT_ONLY).is_some());
        assert_eq!(map[REPORTING_ENDPOINTS], "csp=\"https://r.example.com/\"");
    }

    #[test]
    fn strict_preset_preloads_and_isolates() {
        let map = applied(&SecurityHeaders::strict().build().unwrap());
        assert_eq!(
            map[STRICT_TRANSPORT_SECURITY],
            "max-age=63072000; includeSubDomains; preload"
        );
        assert_eq!(map[COEP], "require-corp");
        assert!(
            map[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("require-trusted-types-for 'script'")
        );
    }

    #[test]
    fn invalid_values_fail_the_build() {
        assert!(matches!(
            SecurityHeaders::api()
                .hsts(Hsts::max_age_secs(60).preload())
                .build(),
            Err(ConfigError::HstsPreloadRequirements { .. })
        ));
        assert!(matches!(
            SecurityHeaders::api()
                .csp(ContentSecurityPolicy::new().script_src(["'unsafe'"]))
                .build(),
            Err(ConfigError::InvalidCspSource { .. })
        ));
    }

    #[test]
    fn insecure_switches_drop_their_header() {
        let map = applied(
            &SecurityHeaders::api()
                .insecure_without_hsts()
                .insecure_without_csp()
                .build()
                .unwrap(),
        );
        assert!(map.get(STRICT_TRANSPORT_SECURITY).is_none());
        assert!(map.get(CONTENT_SECURITY_POLICY).is_none());
        assert_eq!(map[X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
