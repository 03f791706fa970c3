//! Content-Security-Policy: a typed builder, validated at build time, with a
//! fresh nonce per response.

mod nonce;
mod source;

pub use nonce::CspNonce;
pub use source::Source;

use crate::ConfigError;
use std::collections::BTreeMap;

/// The fetch and navigation directives that take a source list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Directive {
    /// `default-src`: the fallback for every fetch directive.
    DefaultSrc,
    /// `script-src`.
    ScriptSrc,
    /// `script-src-elem`.
    ScriptSrcElem,
    /// `script-src-attr`.
    ScriptSrcAttr,
    /// `style-src`.
    StyleSrc,
    /// `style-src-elem`.
    StyleSrcElem,
    /// `style-src-attr`.
    StyleSrcAttr,
    /// `img-src`.
    ImgSrc,
    /// `font-src`.
    FontSrc,
    /// `connect-src` (fetch, XHR, WebSocket).
    ConnectSrc,
    /// `media-src`.
    MediaSrc,
    /// `object-src` (plugins).
    ObjectSrc,
    /// `frame-src`.
    FrameSrc,
    /// `child-src`.
    ChildSrc,
    /// `worker-src`.
    WorkerSrc,
    /// `manifest-src`.
    ManifestSrc,
    /// `base-uri`: what `<base href>` may point at.
    BaseUri,
    /// `form-action`: where forms may submit.
    FormAction,
    /// `frame-ancestors`: who may frame the page.
    FrameAncestors,
}

const DIRECTIVES: &[(Directive, &str)] = &[
    (Directive::DefaultSrc, "default-src"),
    (Directive::ScriptSrc, "script-src"),
    (Directive::ScriptSrcElem, "script-src-elem"),
    (Directive::ScriptSrcAttr, "script-src-attr"),
    (Directive::StyleSrc, "style-src"),
    (Directive::StyleSrcElem, "style-src-elem"),
    (Directive::StyleSrcAttr, "style-src-attr"),
    (Directive::ImgSrc, "img-src"),
    (Directive::FontSrc, "font-src"),
    (Directive::ConnectSrc, "connect-src"),
    (Directive::MediaSrc, "media-src"),
    (Directive::ObjectSrc, "object-src"),
    (Directive::FrameSrc, "frame-src"),
    (Directive::ChildSrc, "child-src"),
    (Directive::WorkerSrc, "worker-src"),
    (Directive::ManifestSrc, "manifest-src"),
    (Directive::BaseUri, "base-uri"),
    (Directive::FormAction, "form-action"),
    (Directive::FrameAncestors, "frame-ancestors"),
];

impl Directive {
    /// The directive's name in the header.
    pub fn name(self) -> &'static str {
        DIRECTIVES
            .iter()
            .find(|(d, _)| *d == self)
            .map_or("default-src", |(_, name)| name)
    }

    /// The directive named `name` (case-insensitive).
    ///
    /// # Errors
    /// [`ConfigError::UnknownCspDirective`].
    pub fn parse(name: &str) -> Result<Self, ConfigError> {
        DIRECTIVES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(d, _)| *d)
            .ok_or_else(|| ConfigError::UnknownCspDirective(name.to_owned()))
    }

    fn accepts_nonce(self) -> bool {
        matches!(
            self,
            Self::DefaultSrc
                | Self::ScriptSrc
                | Self::ScriptSrcElem
                | Self::StyleSrc
                | Self::StyleSrcElem
        )
    }
}

/// A Content-Security-Policy.
///
/// Sources are written as in the header (`'self'`, `https:`,
/// `https://cdn.example.com`) and `'nonce'` stands for the per-response nonce.
/// [`ContentSecurityPolicy::compile`] checks every value once, when the layer
/// is built.
///
/// ```
/// use rampart::headers::ContentSecurityPolicy;
///
/// let csp = ContentSecurityPolicy::new()
///     .default_src(["'self'"])
///     .script_src(["'self'", "'nonce'", "'strict-dynamic'"])
///     .object_src(["'none'"])
///     .report_to("csp", "https://reports.example.com/csp");
/// assert!(csp.compile().is_ok());
///
/// let typo = ContentSecurityPolicy::new().script_src(["self"]);
/// assert!(typo.compile().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentSecurityPolicy {
    sources: BTreeMap<Directive, Vec<String>>,
    /// Directive names a config file gave that are not directives, reported by `compile`.
    unknown_directives: Vec<String>,
    upgrade_insecure_requests: bool,
    require_trusted_types_for_script: bool,
    sandbox: Option<Vec<String>>,
    report_uri: Option<String>,
    report_to: Option<(String, String)>,
    report_only: bool,
}

macro_rules! source_setters {
    ($($(#[$meta:meta])* $fn_name:ident => $directive:ident),+ $(,)?) => {
        $(
            $(#[$meta])*
            #[must_use]
            pub fn $fn_name<I, S>(self, sources: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                self.directive(Directive::$directive, sources)
            }
        )+
    };
}

impl ContentSecurityPolicy {
    /// An empty policy (no directive, so nothing is restricted until you add some).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the sources of `directive`, replacing any set before.
    #[must_use]
    pub fn directive<I, S>(mut self, directive: Directive, sources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sources
            .insert(directive, sources.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the sources of the directive called `name`, as a config file
    /// writes it; an unknown name is reported by [`Self::compile`].
    pub(crate) fn directive_named(self, name: &str, sources: Vec<String>) -> Self {
        match Directive::parse(name) {
            Ok(directive) => self.directive(directive, sources),
            Err(_) => {
                let mut csp = self;
                csp.unknown_directives.push(name.to_owned());
                csp
            }
        }
    }

    source_setters! {
        /// Sets `default-src`.
        default_src => DefaultSrc,
        /// Sets `script-src`.
        script_src => ScriptSrc,
        /// Sets `script-src-attr` (inline event handlers).
        script_src_attr => ScriptSrcAttr,
        /// Sets `style-src`.
        style_src => StyleSrc,
        /// Sets `img-src`.
        img_src => ImgSrc,
        /// Sets `font-src`.
        font_src => FontSrc,
        /// Sets `connect-src`.
        connect_src => ConnectSrc,
        /// Sets `object-src`.
        object_src => ObjectSrc,
        /// Sets `frame-src`.
        frame_src => FrameSrc,
        /// Sets `worker-src`.
        worker_src => WorkerSrc,
        /// Sets `manifest-src`.
        manifest_src => ManifestSrc,
        /// Sets `base-uri`.
        base_uri => BaseUri,
        /// Sets `form-action`.
        form_action => FormAction,
        /// Sets `frame-ancestors`.
        frame_ancestors => FrameAncestors,
    }

    /// Adds `upgrade-insecure-requests`.
    #[must_use]
    pub fn upgrade_insecure_requests(mut self) -> Self {
        self.upgrade_insecure_requests = true;
        self
    }

    /// Adds `require-trusted-types-for 'script'` (DOM XSS sinks need Trusted Types).
    #[must_use]
    pub fn require_trusted_types(mut self) -> Self {
        self.require_trusted_types_for_script = true;
        self
    }

    /// Adds `sandbox` with the given `allow-*` flags (none for the strictest sandbox).
    #[must_use]
    pub fn sandbox<I, S>(mut self, flags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sandbox = Some(flags.into_iter().map(Into::into).collect());
        self
    }

    /// Reports violations to `uri` (`report-uri`, understood by every browser).
    #[must_use]
    pub fn report_uri(mut self, uri: impl Into<String>) -> Self {
        self.report_uri = Some(uri.into());
        self
    }

    /// Reports violations to the Reporting API endpoint `group` at `url`
    /// (`report-to`, plus a `Reporting-Endpoints` header declaring it).
    #[must_use]
    pub fn report_to(mut self, group: impl Into<String>, url: impl Into<String>) -> Self {
        self.report_to = Some((group.into(), url.into()));
        self
    }

    /// Sends the policy as `Content-Security-Policy-Report-Only`: violations are
    /// reported, not blocked. For trying a policy on live traffic.
    #[must_use]
    pub fn report_only(mut self, yes: bool) -> Self {
        self.report_only = yes;
        self
    }

    /// Whether `directive` is set.
    pub fn has(&self, directive: Directive) -> bool {
        self.sources.contains_key(&directive)
    }

    /// Checks every value and renders the header.
    ///
    /// # Errors
    /// The first invalid directive, source, sandbox flag or reporting endpoint.
    pub fn compile(&self) -> Result<CompiledCsp, ConfigError> {
        if let Some(name) = self.unknown_directives.first() {
            return Err(ConfigError::UnknownCspDirective(name.clone()));
        }
        let mut directives: Vec<Vec<Segment>> = Vec::new();
        let mut uses_nonce = false;
        for (directive, raw_sources) in &self.sources {
            let name = directive.name();
            let mut rendered = String::from(name);
            let mut parsed = Vec::with_capacity(raw_sources.len());
            for raw in raw_sources {
                let source =
                    Source::parse(raw).map_err(|reason| ConfigError::InvalidCspSource {
                        directive: name.to_owned(),
                        source_expr: raw.clone(),
                        reason,
                    })?;
                if source.is_nonce() && !directive.accepts_nonce() {
                    return Err(ConfigError::InvalidCspSource {
                        directive: name.to_owned(),
                        source_expr: raw.clone(),
                        reason: "a nonce applies only to default-src, script-src and style-src",
                    });
                }
                uses_nonce |= source.is_nonce();
                parsed.push(source);
            }
            if parsed.contains(&Source::None) && parsed.len() > 1 {
                return Err(ConfigError::InvalidCspSource {
                    directive: name.to_owned(),
                    source_expr: "'none'".to_owned(),
                    reason: "'none' must be the only source of its directive",
                });
            }
            if parsed.is_empty() {
                parsed.push(Source::None);
            }
            let mut segments = Vec::new();
            for source in &parsed {
                rendered.push(' ');
                if source.is_nonce() {
                    rendered.push_str("'nonce-");
                    segments.push(Segment::Text(std::mem::take(&mut rendered)));
                    segments.push(Segment::Nonce);
                    rendered.push('\'');
                } else {
                    rendered.push_str(&source.to_string());
                }
            }
            segments.push(Segment::Text(rendered));
            directives.push(segments);
        }
        let text = |t: String| vec![Segment::Text(t)];
        if self.upgrade_insecure_requests {
            directives.push(text("upgrade-insecure-requests".to_owned()));
        }
        if self.require_trusted_types_for_script {
            directives.push(text("require-trusted-types-for 'script'".to_owned()));
        }
        if let Some(flags) = &self.sandbox {
            let mut rendered = String::from("sandbox");
            for flag in flags {
                let valid = flag.starts_with("allow-")
                    && flag.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
                if !valid {
                    return Err(ConfigError::InvalidCspSource {
                        directive: "sandbox".to_owned(),
                        source_expr: flag.clone(),
                        reason: "sandbox flags are allow-* keywords",
                    });
                }
                rendered.push(' ');
                rendered.push_str(flag);
            }
            directives.push(text(rendered));
        }
        if let Some(uri) = &self.report_uri {
            validate_report_uri(uri)?;
            directives.push(text(format!("report-uri {uri}")));
        }
        let mut reporting_endpoints = None;
        if let Some((group, url)) = &self.report_to {
            validate_group(group)?;
            validate_absolute_report_url(url)?;
            directives.push(text(format!("report-to {group}")));
            reporting_endpoints = Some(format!("{group}=\"{url}\""));
        }
        let parts = split_at_nonces(directives);
        Ok(CompiledCsp {
            report_only: self.report_only,
            parts,
            uses_nonce,
            reporting_endpoints,
        })
    }
}

/// A piece of a rendered directive: literal text, or the place of the nonce.
///
/// The nonce's places are recorded while rendering rather than found again
/// by searching the text for a placeholder, so no configured value (a URL,
/// a path) can ever be mistaken for one.
enum Segment {
    Text(String),
    Nonce,
}

/// Joins the directives with `"; "` into the text between nonces.
fn split_at_nonces(directives: Vec<Vec<Segment>>) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for (i, segments) in directives.into_iter().enumerate() {
        if i > 0 {
            current.push_str("; ");
        }
        for segment in segments {
            match segment {
                Segment::Text(t) => current.push_str(&t),
                Segment::Nonce => parts.push(std::mem::take(&mut current)),
            }
        }
    }
    parts.push(current);
    parts
}

/// A checked policy, split around its nonce placeholders so that a response
/// only pays for joining strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledCsp {
    pub(crate) report_only: bool,
    pub(crate) parts: Vec<String>,
    pub(crate) uses_nonce: bool,
    pub(crate) reporting_endpoints: Option<String>,
}

impl CompiledCsp {
    /// Whether each response needs a fresh nonce.
    pub fn uses_nonce(&self) -> bool {
        self.uses_nonce
    }

    /// Whether the policy is sent as `-Report-Only`.
    pub fn is_report_only(&self) -> bool {
        self.report_only
    }

    /// The header value with `nonce` filled in (unused when the policy has no nonce).
    pub fn render(&self, nonce: &CspNonce) -> String {
        let mut out = String::with_capacity(
            self.parts.iter().map(String::len).sum::<usize>() + 24 * self.parts.len(),
        );
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_str(nonce.as_str());
            }
            out.push_str(part);
        }
        out
    }

    /// The header value of a policy without a nonce.
    pub(crate) fn static_value(&self) -> Option<&str> {
        (!self.uses_nonce).then(|| self.parts.first().map_or("", String::as_str))
    }
}

fn validate_group(group: &str) -> Result<(), ConfigError> {
    let valid = !group.is_empty()
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidReportEndpoint {
            value: group.to_owned(),
            reason: "a report-to group name is letters, digits, '-' and '_'",
        })
    }
}

fn validate_absolute_report_url(url: &str) -> Result<(), ConfigError> {
    let parsed = url::Url::parse(url).map_err(|_| ConfigError::InvalidReportEndpoint {
        value: url.to_owned(),
        reason: "not an absolute URL",
    })?;
    let clean = matches!(parsed.scheme(), "https" | "http")
        && !url.bytes().any(|b| {
            matches!(b, b'"' | b';' | b',' | b' ' | b'{' | b'}') || !(0x21..0x7f).contains(&b)
        });
    if clean {
        Ok(())
    } else {
        Err(ConfigError::InvalidReportEndpoint {
            value: url.to_owned(),
            reason: "an http(s) URL without quotes, braces, ';', ',' or spaces (percent-encode them)",
        })
    }
}

fn validate_report_uri(uri: &str) -> Result<(), ConfigError> {
    if uri.starts_with('/') && !uri.starts_with("//") {
        let clean = !uri
            .bytes()
            .any(|b| matches!(b, b';' | b',' | b'{' | b'}') || !(0x21..0x7f).contains(&b));
        return if clean {
            Ok(())
        } else {
            Err(ConfigError::InvalidReportEndpoint {
                value: uri.to_owned(),
                reason: "a path without braces, ';', ',' or spaces (percent-encode them)",
            })
        };
    }
    validate_absolute_report_url(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_directives_in_a_stable_order() {
        let csp = ContentSecurityPolicy::new()
            .object_src(["'none'"])
            .default_src(["'self'"])
            .upgrade_insecure_requests()
            .compile()
            .unwrap();
        assert_eq!(
            csp.static_value(),
            Some("default-src 'self'; object-src 'none'; upgrade-insecure-requests")
        );
    }

    #[test]
    fn nonce_is_spliced_everywhere_it_appears() {
        let csp = ContentSecurityPolicy::new()
            .script_src(["'nonce'"])
            .style_src(["'self'", "'nonce'"])
            .compile()
            .unwrap();
        assert!(csp.uses_nonce());
        assert_eq!(csp.static_value(), None);
        let nonce = CspNonce::generate();
        let n = nonce.as_str();
        assert_eq!(
            csp.render(&nonce),
            format!("script-src 'nonce-{n}'; style-src 'self' 'nonce-{n}'")
        );
    }

    #[test]
    fn none_must_stand_alone() {
        let err = ContentSecurityPolicy::new()
            .script_src(["'none'", "'self'"])
            .compile()
            .unwrap_err();
        assert!(err.to_string().contains("script-src"), "{err}");
    }

    #[test]
    fn nonce_outside_scripts_and_styles_is_an_error() {
        assert!(
            ContentSecurityPolicy::new()
                .img_src(["'nonce'"])
                .compile()
                .is_err()
        );
    }

    #[test]
    fn reporting_endpoints_are_validated_and_declared() {
        let csp = ContentSecurityPolicy::new()
            .default_src(["'none'"])
            .report_uri("/csp-reports")
            .report_to("csp", "https://r.example.com/c")
            .compile()
            .unwrap();
        assert!(
            csp.static_value()
                .unwrap()
                .ends_with("report-uri /csp-reports; report-to csp")
        );
        assert_eq!(
            csp.reporting_endpoints.as_deref(),
            Some("csp=\"https://r.example.com/c\"")
        );
        for (group, url) in [
            ("csp", "javascript:alert(1)"),
            ("c s p", "https://r.example.com"),
            ("csp", "https://r.example.com/\";x"),
        ] {
            assert!(
                ContentSecurityPolicy::new()
                    .report_to(group, url)
                    .compile()
                    .is_err(),
                "{group} {url}"
            );
        }
        assert!(
            ContentSecurityPolicy::new()
                .report_uri("//evil.example")
                .compile()
                .is_err(),
            "a protocol-relative URL would report to another host"
        );
    }

    #[test]
    fn braces_in_a_report_endpoint_are_refused() {
        // `{nonce}` was the nonce placeholder: in a URL it cut the header short.
        for uri in ["/csp/{nonce}", "/csp/{", "https://r.example.com/}"] {
            let err = ContentSecurityPolicy::new()
                .script_src(["'nonce'"])
                .report_uri(uri)
                .compile()
                .unwrap_err();
            assert!(
                matches!(err, ConfigError::InvalidReportEndpoint { .. }),
                "{uri}: {err}"
            );
        }
        assert!(
            ContentSecurityPolicy::new()
                .report_to("csp", "https://r.example.com/{nonce}")
                .compile()
                .is_err()
        );
        let encoded = ContentSecurityPolicy::new()
            .script_src(["'nonce'"])
            .report_uri("/csp/%7Bnonce%7D")
            .compile()
            .unwrap();
        let nonce = CspNonce::generate();
        assert_eq!(
            encoded.render(&nonce),
            format!("script-src 'nonce-{nonce}'; report-uri /csp/%7Bnonce%7D")
        );
    }

    #[test]
    fn the_nonce_is_placed_by_position_not_by_searching_the_text() {
        let csp = ContentSecurityPolicy::new()
            .default_src(["'self'"])
            .script_src(["'nonce'", "'strict-dynamic'"])
            .upgrade_insecure_requests()
            .report_uri("/r")
            .compile()
            .unwrap();
        assert_eq!(csp.parts.len(), 2);
        let nonce = CspNonce::generate();
        assert_eq!(
            csp.render(&nonce),
            format!(
                "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; upgrade-insecure-requests; report-uri /r"
            )
        );
    }

    #[test]
    fn sandbox_flags_are_checked() {
        assert!(
            ContentSecurityPolicy::new()
                .sandbox(["allow-scripts"])
                .compile()
                .is_ok()
        );
        assert!(
            ContentSecurityPolicy::new()
                .sandbox(["scripts; default-src *"])
                .compile()
                .is_err()
        );
    }

    #[test]
    fn directive_names_round_trip() {
        for (directive, name) in DIRECTIVES {
            assert_eq!(Directive::parse(name).unwrap(), *directive);
            assert_eq!(directive.name(), *name);
        }
        assert!(Directive::parse("script-source").is_err());
    }
}
