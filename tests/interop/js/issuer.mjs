// An independent OpenID4VCI issuer for tests/interop/test_js_issuer.py (run there, never by hand): Cairn's wallet
// receives from it.
//
//   node issuer.mjs CERT_PEM KEY_PEM
//     serves https://127.0.0.1:PORT (a free port) with @openid4vc/openid4vci 0.4.6's Openid4vciIssuer: the issuer
//     metadata (createCredentialIssuerMetadata), an offer by reference (createCredentialOffer, pre-authorised code,
//     a 4-digit tx_code), a token endpoint (hand-written: the library's authorisation server needs a signed access
//     token profile this test does not exercise), the nonce endpoint (createNonceResponse), the credential endpoint
//     (parseCredentialRequest, verifyCredentialRequestJwtProof with EdDSA and ES256 keys, createCredentialResponse)
//     and the notification endpoint. The credential is an SD-JWT VC by @sd-jwt/sd-jwt-vc 0.19.0, signed by a fresh
//     P-256 did:key, its cnf the proof's key; configuration "hostile_sd_jwt" binds it to another key instead.
//     Prints {"url": ..., "link": offer link, "hostile_link": ..., "tx_code": ...} when listening; GET /events
//     answers the notifications received. Runs until killed.
//
// The P-256 key and did:key helpers are those of common.mjs, shared with the other harness scripts.
import {createHash, createPublicKey, randomBytes, verify as nodeVerify} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {createServer} from 'node:https';
import {jwkToDidKey, p256} from './common.mjs';

const {SDJwtVcInstance} = await import('@sd-jwt/sd-jwt-vc');
const {ES256, digest, generateSalt} = await import('@sd-jwt/crypto-nodejs');
const {Openid4vciIssuer} = await import('@openid4vc/openid4vci');

function verifyJwt(signer, {compact, header}) {
  const jwk = signer.publicJwk ?? header.jwk;
  const [h, p, s] = compact.split('.');
  const key = createPublicKey({key: jwk, format: 'jwk'});
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok = header.alg === 'EdDSA' || header.alg === 'Ed25519'
    ? nodeVerify(null, data, key, signature)
    : nodeVerify('sha256', data, {key, dsaEncoding: 'ieee-p1363'}, signature);
  return ok ? {verified: true, signerJwk: jwk} : {verified: false};
}

const [certFile, keyFile] = process.argv.slice(2);
const signingKey = p256();
const issuerDid = jwkToDidKey(signingKey.publicJwk);
const sdjwt = new SDJwtVcInstance({
  hasher: digest,
  saltGenerator: generateSalt,
  signer: await ES256.getSigner(signingKey.privateJwk),
  signAlg: 'ES256',
});
const issuer = new Openid4vciIssuer({
  callbacks: {
    hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
    generateRandom: n => randomBytes(n),
    signJwt: async () => {
      throw new Error('not used');
    },
    verifyJwt,
  },
});

const codes = new Map(); // pre-authorised code -> configuration
const tokens = new Map(); // access token -> configuration
const nonces = new Set();
const events = [];
const txCode = '4711';
let base = '';
let metadata;

function configuration(vctName) {
  return {
    format: 'dc+sd-jwt',
    vct: `urn:example:${vctName}`,
    cryptographic_binding_methods_supported: ['jwk'],
    credential_signing_alg_values_supported: ['ES256'],
    proof_types_supported: {jwt: {proof_signing_alg_values_supported: ['ES256', 'EdDSA']}},
    credential_metadata: {display: [{name: 'Data stewardship (independent issuer)', locale: 'en'}]},
  };
}

async function issue(holderJwk) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuerDid,
    iat: now,
    exp: now + 3600,
    vct: 'urn:eu.europa.ec.eudi:learning:credential:1',
    cnf: {jwk: holderJwk},
    given_name: 'Jan',
    family_name: 'Kowalski',
    achievement_title: 'Data stewardship',
  };
  const kid = `${issuerDid}#${issuerDid.slice('did:key:'.length)}`;
  return sdjwt.issue(claims, {_sd: ['given_name', 'family_name', 'achievement_title']}, {header: {kid}});
}

function send(res, status, body) {
  res.writeHead(status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store'});
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function offer(configurationId) {
  const code = randomBytes(16).toString('base64url');
  codes.set(code, configurationId);
  const {credentialOffer} = await issuer.createCredentialOffer({
    issuerMetadata: metadata,
    credentialConfigurationIds: [configurationId],
    grants: {
      'urn:ietf:params:oauth:grant-type:pre-authorized_code': {
        'pre-authorized_code': code,
        tx_code: {input_mode: 'numeric', length: txCode.length, description: 'The code on the issuer page'},
      },
    },
  });
  return credentialOffer;
}

async function handle(req, res, body) {
  const url = new URL(req.url, base);
  if(req.method === 'GET' && url.pathname === '/.well-known/openid-credential-issuer') {
    return send(res, 200, metadata.credentialIssuer);
  }
  if(req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
    return send(res, 200, metadata.authorizationServers[0]);
  }
  if(req.method === 'GET' && url.pathname === '/events') {
    return send(res, 200, events);
  }
  if(req.method === 'POST' && url.pathname === '/token') {
    const form = new URLSearchParams(body);
    const configurationId = codes.get(form.get('pre-authorized_code'));
    if(!configurationId || form.get('tx_code') !== txCode) {
      return send(res, 400, {error: 'invalid_grant', error_description: 'wrong code or transaction code'});
    }
    codes.delete(form.get('pre-authorized_code'));
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, configurationId);
    return send(res, 200, {access_token: token, token_type: 'Bearer', expires_in: 300});
  }
  if(req.method === 'POST' && url.pathname === '/nonce') {
    const cNonce = randomBytes(16).toString('base64url');
    nonces.add(cNonce);
    return send(res, 200, issuer.createNonceResponse({cNonce}));
  }
  const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  if(!tokens.has(bearer)) {
    return send(res, 401, {error: 'invalid_token'});
  }
  if(req.method === 'POST' && url.pathname === '/notification') {
    events.push(JSON.parse(body));
    res.writeHead(204);
    return res.end();
  }
  if(req.method === 'POST' && url.pathname === '/credential') {
    const parsed = issuer.parseCredentialRequest({issuerMetadata: metadata, credentialRequest: JSON.parse(body)});
    const jwt = parsed.proofs?.jwt?.[0] ?? parsed.proof?.jwt;
    const decoded = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    if(!nonces.delete(decoded.nonce)) {
      return send(res, 400, {error: 'invalid_nonce', error_description: 'unknown nonce'});
    }
    const {signer} = await issuer.verifyCredentialRequestJwtProof({issuerMetadata: metadata, jwt, expectedNonce: decoded.nonce});
    const hostile = tokens.get(bearer) === 'hostile_sd_jwt';
    const credential = await issue(hostile ? p256().publicJwk : signer.publicJwk);
    return send(res, 200, issuer.createCredentialResponse({
      credentialRequest: parsed,
      credentials: [{credential}],
      notificationId: randomBytes(8).toString('hex'),
    }));
  }
  return send(res, 404, {error: 'not_found'});
}

const server = createServer({cert: readFileSync(certFile), key: readFileSync(keyFile)}, (req, res) => {
  const chunks = [];
  req.on('data', chunk => chunks.push(chunk));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(error => {
      send(res, 400, {error: 'invalid_credential_request', error_description: String(error?.message ?? error)});
    });
  });
});
server.listen(0, '127.0.0.1', async () => {
  base = `https://127.0.0.1:${server.address().port}`;
  metadata = {
    originalDraftVersion: 'v1',
    credentialIssuer: issuer.createCredentialIssuerMetadata({
      credential_issuer: base,
      credential_endpoint: `${base}/credential`,
      nonce_endpoint: `${base}/nonce`,
      notification_endpoint: `${base}/notification`,
      display: [{name: 'Independent test issuer', locale: 'en'}],
      credential_configurations_supported: {
        learning_sd_jwt: configuration('learning'),
        hostile_sd_jwt: configuration('hostile'),
      },
    }),
    authorizationServers: [{
      issuer: base,
      token_endpoint: `${base}/token`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:pre-authorized_code'],
      'pre-authorized_grant_anonymous_access_supported': true,
    }],
  };
  const link = await offer('learning_sd_jwt');
  const hostile = await offer('hostile_sd_jwt');
  console.log(JSON.stringify({url: base, link, hostile_link: hostile, tx_code: txCode}));
});
