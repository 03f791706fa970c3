// Security keys for session-app: registration on /security-keys, the second
// factor on /login/second-factor. Loaded with the page's CSP nonce; posts
// JSON to this origin only (the CSRF layer checks Fetch Metadata).
'use strict';

(function () {
  function toBytes(b64url) {
    let s = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) {
      throw new Error((data && (data.detail || data.title)) || 'request failed: ' + res.status);
    }
    return data;
  }

  function show(message) {
    const el = document.getElementById('error');
    el.textContent = message;
    el.hidden = false;
  }

  function status(text) {
    document.getElementById('status').textContent = text;
  }

  async function register(form) {
    const options = (await post('/security-keys/options')).publicKey;
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const cred = await navigator.credentials.create({ publicKey: options });
    const r = cred.response;
    await post('/security-keys', {
      name: form.elements.name.value,
      credential: {
        id: cred.id,
        rawId: toB64url(cred.rawId),
        type: cred.type,
        response: {
          attestationObject: toB64url(r.attestationObject),
          clientDataJSON: toB64url(r.clientDataJSON),
        },
        extensions: {},
      },
    });
    location.assign('/security-keys');
  }

  async function authenticate() {
    const options = (await post('/login/second-factor/options')).publicKey;
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const cred = await navigator.credentials.get({ publicKey: options });
    const r = cred.response;
    const done = await post('/login/second-factor', {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toB64url(r.authenticatorData),
        clientDataJSON: toB64url(r.clientDataJSON),
        signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : null,
      },
      extensions: {},
    });
    location.assign(done.next);
  }

  function run(action) {
    status('working');
    action().then(
      () => status('done'),
      (e) => { status('failed'); show(e.message || String(e)); },
    );
  }

  const form = document.getElementById('register-key');
  if (form) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(() => register(form));
    });
  }
  const button = document.getElementById('use-key');
  if (button) {
    button.addEventListener('click', () => run(authenticate));
  }
})();
