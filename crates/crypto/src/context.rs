//! The context a field is encrypted in, bound to the ciphertext as
//! associated data.
//!
//! A ciphertext only decrypts under the exact context it was made in: copied
//! to another row, another column or another tenant, it fails authentication.
//! This stops an attacker with write access to the database from moving an
//! encrypted value to where it would be revealed (swapping the SSN of their
//! own row with a victim's, say).

use crate::format::BOUND_HEADER_LEN;

/// Where a field lives: tenant, record type, field name and record id.
///
/// Borrowed strings, so building one costs nothing on the hot path.
///
/// ```
/// use rampart_crypto::Context;
///
/// let ctx = Context::new("user", "ssn", "42").tenant("acme");
/// assert_eq!(ctx.field_name(), "ssn");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Context<'a> {
    tenant: Option<&'a str>,
    record_type: &'a str,
    field: &'a str,
    record_id: &'a str,
}

/// Contexts up to this encoded size are built on the stack.
const STACK_AAD: usize = 256;

impl<'a> Context<'a> {
    /// The context of `field` of the record of type `record_type` with id
    /// `record_id`, outside any tenant.
    pub fn new(record_type: &'a str, field: &'a str, record_id: &'a str) -> Self {
        Self {
            tenant: None,
            record_type,
            field,
            record_id,
        }
    }

    /// The same context inside `tenant`.
    #[must_use]
    pub fn tenant(mut self, tenant: &'a str) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// The same context for another field of the same record.
    #[must_use]
    pub fn with_field(mut self, field: &'a str) -> Self {
        self.field = field;
        self
    }

    /// The tenant, if any.
    pub fn tenant_id(&self) -> Option<&'a str> {
        self.tenant
    }

    /// The record type.
    pub fn record_type(&self) -> &'a str {
        self.record_type
    }

    /// The field name.
    pub fn field_name(&self) -> &'a str {
        self.field
    }

    /// The record id.
    pub fn record_id(&self) -> &'a str {
        self.record_id
    }

    /// The context's canonical encoding: a presence byte and, when present,
    /// the length-prefixed tenant, then the length-prefixed record type,
    /// field and record id (lengths as big-endian u64). No two different
    /// contexts encode the same, whatever characters they hold.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.write(&mut out);
        out
    }

    fn encoded_len(&self) -> usize {
        1 + self.tenant.map_or(0, |t| 8 + t.len())
            + 24
            + self.record_type.len()
            + self.field.len()
            + self.record_id.len()
    }

    fn write(&self, out: &mut impl Extend<u8>) {
        match self.tenant {
            None => out.extend([0u8]),
            Some(t) => {
                out.extend([1u8]);
                put_prefixed(out, t.as_bytes());
            }
        }
        put_prefixed(out, self.record_type.as_bytes());
        put_prefixed(out, self.field.as_bytes());
        put_prefixed(out, self.record_id.as_bytes());
    }

    /// The associated data: the authenticated header then the context,
    /// on the stack when it is small.
    pub(crate) fn aad(&self, header: &[u8; BOUND_HEADER_LEN]) -> Aad {
        let len = BOUND_HEADER_LEN + self.encoded_len();
        if len <= STACK_AAD {
            let mut buf = [0u8; STACK_AAD];
            let mut w = SliceWriter {
                buf: &mut buf,
                at: 0,
            };
            w.extend(header.iter().copied());
            self.write(&mut w);
            Aad::Stack(buf, len)
        } else {
            let mut v = Vec::with_capacity(len);
            v.extend_from_slice(header);
            self.write(&mut v);
            Aad::Heap(v)
        }
    }
}

/// Appends `bytes` after its length as a big-endian u64.
pub(crate) fn put_prefixed(out: &mut impl Extend<u8>, bytes: &[u8]) {
    out.extend((bytes.len() as u64).to_be_bytes());
    out.extend(bytes.iter().copied());
}

/// Associated data built for one operation. The large stack variant is the
/// point: it spares the hot path a heap allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Aad {
    Stack([u8; STACK_AAD], usize),
    Heap(Vec<u8>),
}

impl AsRef<[u8]> for Aad {
    fn as_ref(&self) -> &[u8] {
        match self {
            Self::Stack(buf, len) => &buf[..*len],
            Self::Heap(v) => v,
        }
    }
}

/// Writes into a fixed buffer already known to be large enough.
struct SliceWriter<'b> {
    buf: &'b mut [u8; STACK_AAD],
    at: usize,
}

impl Extend<u8> for SliceWriter<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        for b in iter {
            if let Some(slot) = self.buf.get_mut(self.at) {
                *slot = b;
            }
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_unambiguous() {
        let a = Context::new("ab", "c", "1").encode();
        let b = Context::new("a", "bc", "1").encode();
        assert_ne!(a, b);
        let no_tenant = Context::new("", "", "").encode();
        let empty_tenant = Context::new("", "", "").tenant("").encode();
        assert_ne!(no_tenant, empty_tenant);
        assert_eq!(no_tenant.len(), 25);
    }

    #[test]
    fn stack_and_heap_aad_agree() {
        let header = [1, 1, 0, 0, 0, 7];
        let small = Context::new("user", "ssn", "42").tenant("acme");
        let mut expected = header.to_vec();
        expected.extend(small.encode());
        assert!(matches!(small.aad(&header), Aad::Stack(..)));
        assert_eq!(small.aad(&header).as_ref(), expected.as_slice());

        let long = "x".repeat(300);
        let big = Context::new("user", "ssn", &long);
        let mut expected = header.to_vec();
        expected.extend(big.encode());
        assert!(matches!(big.aad(&header), Aad::Heap(..)));
        assert_eq!(big.aad(&header).as_ref(), expected.as_slice());
    }

    #[test]
    fn boundary_size_fits_the_stack() {
        let header = [1, 1, 0, 0, 0, 7];
        // 6 header + 1 + 24 + lengths = 256 exactly.
        let id = "y".repeat(STACK_AAD - 6 - 1 - 24 - 2);
        let ctx = Context::new("a", "b", &id);
        assert!(matches!(ctx.aad(&header), Aad::Stack(_, STACK_AAD)));
        let mut expected = header.to_vec();
        expected.extend(ctx.encode());
        assert_eq!(ctx.aad(&header).as_ref(), expected.as_slice());
    }
}
