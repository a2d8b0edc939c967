//! HTTP agents whose connection buffers are wiped when a connection is
//! dropped, and header values held in wiped buffers. ureq's `http` copies a
//! header value given as a string into a buffer it frees as is; one built
//! here is shared instead, and cleared when the last reference goes. Agents: ureq serializes the request (the `Authorization` header with the
//! credentials, or the form body with `client_secret`) into its output buffer
//! and reads the answer (the token) into its input buffer, and would free both
//! without clearing them. A last connector in ureq's chain wraps the
//! transport and clears both buffers on drop. This uses ureq's `unversioned`
//! transport API, which may change in a minor ureq release: if an update
//! breaks the build here, `tests/heap_residue.rs` says what a fix must keep.

use std::fmt;
use ureq::http::HeaderValue;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport};
use zeroize::{Zeroize, Zeroizing};

/// A sensitive header value that lives in `value`'s buffer (no copy) and is
/// wiped when the last clone of it is dropped.
pub(crate) fn header_value(value: Zeroizing<String>) -> Option<HeaderValue> {
    let mut v = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(Owned(value))).ok()?;
    v.set_sensitive(true);
    Some(v)
}

struct Owned(Zeroizing<String>);

impl AsRef<[u8]> for Owned {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// An agent for `config` whose connections wipe their buffers when dropped.
pub(crate) fn agent(config: ureq::config::Config) -> ureq::Agent {
    agent_via(config, DefaultConnector::default())
}

/// Like [`agent`], with `connector` (for example the proxy bypass) making the connections.
pub(crate) fn agent_via(
    config: ureq::config::Config,
    connector: impl Connector<(), Out = Box<dyn Transport>>,
) -> ureq::Agent {
    ureq::Agent::with_parts(config, connector.chain(Wiping), DefaultResolver::default())
}

#[derive(Debug)]
struct Wiping;

impl Connector<Box<dyn Transport>> for Wiping {
    type Out = WipedOnDrop;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<WipedOnDrop>, ureq::Error> {
        Ok(chained.map(WipedOnDrop))
    }
}

struct WipedOnDrop(Box<dyn Transport>);

impl fmt::Debug for WipedOnDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WipedOnDrop").field(&self.0).finish()
    }
}

impl Transport for WipedOnDrop {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }
    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, timeout)
    }
    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.maybe_await_input(timeout)
    }
    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(timeout)
    }
    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }
    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

impl Drop for WipedOnDrop {
    fn drop(&mut self) {
        let b = self.0.buffers();
        b.output().zeroize();
        // Consuming what is left makes the whole input buffer free to write.
        let unconsumed = b.input().len();
        b.input_consume(unconsumed);
        b.input_append_buf().zeroize();
    }
}
