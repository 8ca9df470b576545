// OpenID4VP 1.0 with @openid4vc/openid4vp (OpenWallet Foundation) and @sd-jwt/sd-jwt-vc, for
// tests/interop/test_js_openid4vp.py (run there, never by hand). Each command prints JSON lines; the last is the result.
//
//   node openid4vp.mjs wallet LINK CREDENTIAL_FILE HOLDER_JWK_FILE [PLAIN_LINK]
//     an independent wallet answering Cairn's verifier: Openid4vpClient parses the openid4vp:// link, resolves the
//     request (fetches request_uri, verifies the signed request object: client id prefix decentralized_identifier,
//     the key its kid names resolved from the did:web DID document on the running Cairn), and answers the DCQL
//     query with the SD-JWT VC of CREDENTIAL_FILE, disclosing the claims asked, with a KB-JWT (ES256, the private
//     JWK of HOLDER_JWK_FILE) for the request's nonce and client id; the response is made and submitted by
//     direct_post with the library. Before the good answer it submits two that must be refused: a KB-JWT for
//     another nonce, and one signed by another key. With PLAIN_LINK (an unsigned redirect_uri: request passed by
//     value) it then answers that one too. Prints {resolved, refused: {name: {status, body}}, answer, plain}.
//   node openid4vp.mjs verifier CERT_FILE KEY_FILE
//     an independent verifier: an HTTPS server on loopback (the test's certificate) and two requests made with
//     Openid4vpVerifier (response_mode direct_post, a DCQL query for a dc+sd-jwt Learning Credential): "plain"
//     (client id redirect_uri:, by value) and "signed" (client id decentralized_identifier: a did:key of its own
//     P-256 key, the request object signed and served at request_uri). Prints {links} first; each POST to a
//     response_uri is parsed by the library (parseOpenid4vpAuthorizationResponse: state, the DCQL ids) and its
//     SD-JWT VC verified with @sd-jwt/sd-jwt-vc: the issuer's key from its did:web DID document, the KB-JWT with
//     cnf.jwk (EdDSA or ES256), the nonce, aud = the client id. Answers 200 {} or 400 {error, error_description}.
//     When stdin closes it prints {received: {name: {verified, error, claims, kb, ...}}} and exits.
//
// Network: every fetch except https://127.0.0.1:* is refused and recorded in "blocked" (installNetworkGuard of
// common.mjs, installed before any package is imported).
import {createHash, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {createServer} from 'node:https';
import {b64url, decodeJson, installNetworkGuard, jwkToDidKey, p256, resolveIssuerKey} from './common.mjs';

const blocked = installNetworkGuard('openid4vp'); // before any package is imported

const {SDJwtVcInstance} = await import('@sd-jwt/sd-jwt-vc');
const {ES256, digest, generateSalt} = await import('@sd-jwt/crypto-nodejs');
const {Openid4vpClient, Openid4vpVerifier} = await import('@openid4vc/openid4vp');

const VCT = 'urn:eu.europa.ec.eudi:learning:credential:1';

// -- signatures ----------------------------------------------------------------------------------------------------

function es256Sign(privateKey, input) {
  return b64url(nodeSign('sha256', Buffer.from(input), {key: privateKey, dsaEncoding: 'ieee-p1363'}));
}

// A JWS signature check with a JWK (ES256 or EdDSA), as a KB-JWT or a request object needs.
function verifyWithJwk(jwk, data, signature) {
  const key = createPublicKey({key: jwk, format: 'jwk'});
  const raw = Buffer.from(signature, 'base64url');
  if(jwk.kty === 'OKP') {
    return nodeVerify(null, Buffer.from(data), key, raw);
  }
  return nodeVerify('sha256', Buffer.from(data), {key, dsaEncoding: 'ieee-p1363'}, raw);
}

const hash = (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest();

// The library's verifyJwt callback: a did signer (did:web of the running Cairn) resolved as any verifier would.
async function verifyJwt(signer, {compact, header}) {
  if(signer.method !== 'did') {
    return {verified: false};
  }
  const [did] = signer.didUrl.split('#');
  const {jwk} = await resolveIssuerKey(did, signer.didUrl, ['authentication', 'assertionMethod']);
  const [h, p, s] = compact.split('.');
  if(header.alg !== 'ES256') {
    return {verified: false, signerJwk: jwk};
  }
  return {verified: verifyWithJwk(jwk, `${h}.${p}`, s), signerJwk: jwk};
}

function errorOf(error) {
  const details = {message: String(error?.message ?? error), name: error?.name};
  if(error?.errorResponse) {
    details.errorResponse = error.errorResponse;
  }
  return details;
}

// -- the wallet --------------------------------------------------------------------------------------------------

async function present(credential, holderJwk, claims, {aud, nonce}) {
  const frame = Object.fromEntries(claims.map(name => [name, true]));
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(holderJwk),
    kbSignAlg: 'ES256',
  });
  return sdjwt.present(credential, frame, {kb: {payload: {iat: Math.floor(Date.now() / 1000), aud, nonce}}});
}

// Parse and resolve an openid4vp:// link with the library; a submit(presentation) that answers it by direct_post.
async function resolveLink(client, link) {
  const parsed = client.parseOpenid4vpAuthorizationRequest({authorizationRequest: link});
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({authorizationRequestPayload: parsed.params});
  const request = resolved.authorizationRequestPayload;
  const query = resolved.dcql.query.credentials[0];
  const claims = (query.claims ?? []).map(c => c.path[0]);
  const clientId = resolved.client.effective;
  const submit = async (presentation) => {
    const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload: {vp_token: {[query.id]: [presentation]}},
    });
    const {response} = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload,
    });
    return {status: response.status, body: await response.json().catch(() => null)};
  };
  const summary = {
    client: {prefix: resolved.client.prefix, identifier: resolved.client.identifier, effective: clientId,
      didUrl: resolved.client.didUrl ?? null},
    signed: Boolean(resolved.jar),
    by_reference: Boolean(parsed.params.request_uri),
    version: resolved.version,
    response_mode: request.response_mode,
    response_uri: request.response_uri,
    dcql: resolved.dcql.query,
    claims,
  };
  return {request, claims, clientId, submit, summary};
}

async function wallet(link, credentialFile, holderFile, plainLink) {
  const credential = (await readFile(credentialFile, 'utf8')).trim();
  const holderJwk = JSON.parse(await readFile(holderFile, 'utf8'));
  const client = new Openid4vpClient({callbacks: {fetch: globalThis.fetch, hash, verifyJwt}});
  const step = {name: 'resolve the request'};
  try {
    const {request, claims, clientId, submit, summary} = await resolveLink(client, link);
    const refused = {};
    step.name = 'answer for another nonce';
    refused.wrong_nonce = await submit(await present(credential, holderJwk, claims, {aud: clientId, nonce: 'not-it'}));
    step.name = 'answer with another key';
    refused.other_key = await submit(await present(credential, p256().privateJwk, claims, {aud: clientId, nonce: request.nonce}));
    step.name = 'answer';
    const answer = await submit(await present(credential, holderJwk, claims, {aud: clientId, nonce: request.nonce}));
    let plain = null;
    if(plainLink) {
      step.name = 'resolve the unsigned request';
      const other = await resolveLink(client, plainLink);
      step.name = 'answer the unsigned request';
      const kb = {aud: other.clientId, nonce: other.request.nonce};
      plain = {resolved: other.summary, answer: await other.submit(await present(credential, holderJwk, other.claims, kb))};
    }
    return {ok: true, resolved: summary, refused, answer, plain, blocked};
  } catch(error) {
    return {ok: false, step: step.name, error: errorOf(error), blocked};
  }
}

// -- the verifier ------------------------------------------------------------------------------------------------

const DCQL = {
  credentials: [{
    id: 'learning',
    format: 'dc+sd-jwt',
    meta: {vct_values: [VCT]},
    claims: [{path: ['given_name']}, {path: ['family_name']}, {path: ['achievement_title']}],
  }],
};

async function verifyPresentation(presentation, {clientId, nonce}) {
  const [jwt] = presentation.split('~');
  const [headerPart, payloadPart] = jwt.split('.');
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  const resolved = await resolveIssuerKey(payload.iss, header.kid);
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    verifier: await ES256.getVerifier(resolved.jwk),
    kbVerifier: async (data, signature, claims) => Boolean(claims?.cnf?.jwk) && verifyWithJwk(claims.cnf.jwk, data, signature),
  });
  const result = await sdjwt.verify(presentation, {
    keyBindingNonce: nonce,
    requiredClaimKeys: ['given_name', 'family_name', 'achievement_title'],
  });
  if(result.kb?.payload?.aud !== clientId) {
    throw new Error(`the KB-JWT is for ${result.kb?.payload?.aud}, not ${clientId}`);
  }
  if(result.payload.vct !== VCT) {
    throw new Error(`the credential is a ${result.payload.vct}`);
  }
  return {claims: await sdjwt.getClaims(presentation), kb: result.kb.payload, resolved, header: result.header};
}

async function verifierServer(certFile, keyFile) {
  const own = p256();
  const did = jwkToDidKey(own.publicJwk);
  const didUrl = `${did}#${did.slice('did:key:'.length)}`;
  const signJwt = async (signer, {header, payload}) => {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return {jwt: `${input}.${es256Sign(own.privateKey, input)}`, signerJwk: own.publicJwk};
  };
  const verifier = new Openid4vpVerifier({callbacks: {signJwt, verifyJwt, hash, fetch: globalThis.fetch}});
  const requests = {};
  const objects = {};
  const received = {};
  const server = createServer({cert: await readFile(certFile), key: await readFile(keyFile)});
  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', async () => {
      const path = new URL(req.url, 'https://x').pathname;
      const [, kind, name] = path.split('/');
      const reply = (status, body, type = 'application/json') => {
        res.writeHead(status, {'Content-Type': type});
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if(req.method === 'GET' && kind === 'request' && objects[name]) {
        return reply(200, objects[name], 'application/oauth-authz-req+jwt');
      }
      if(req.method !== 'POST' || kind !== 'response' || !requests[name]) {
        return reply(404, {error: 'not_found'});
      }
      const entry = {content_type: req.headers['content-type'], verified: false};
      received[name] = entry;
      try {
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        entry.form_fields = Object.keys(form).sort();
        const request = requests[name];
        const response = {...form, vp_token: JSON.parse(form.vp_token)};
        const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
          authorizationResponse: response,
          authorizationRequestPayload: request,
        });
        if(parsed.authorizationResponsePayload.state !== request.state) {
          throw new Error('the state is not the request\'s');
        }
        const [presentation] = parsed.dcql.presentations.learning;
        Object.assign(entry, await verifyPresentation(presentation, {clientId: request.client_id, nonce: request.nonce}));
        entry.verified = true;
        entry.error = null;
        return reply(200, {});
      } catch(error) {
        entry.error = errorOf(error);
        return reply(400, {error: 'invalid_request', error_description: entry.error.message});
      }
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const base = `https://127.0.0.1:${server.address().port}`;
  const links = {};
  const plain = `${base}/response/plain`;
  const made = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: {
      response_type: 'vp_token',
      client_id: `redirect_uri:${plain}`,
      response_uri: plain,
      response_mode: 'direct_post',
      nonce: b64url(randomBytes(16)),
      state: b64url(randomBytes(16)),
      dcql_query: DCQL,
    },
  });
  requests.plain = made.authorizationRequestPayload;
  links.plain = made.authorizationRequest;
  const signedResponse = `${base}/response/signed`;
  const signed = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: {
      response_type: 'vp_token',
      client_id: `decentralized_identifier:${did}`,
      response_uri: signedResponse,
      response_mode: 'direct_post',
      nonce: b64url(randomBytes(16)),
      state: b64url(randomBytes(16)),
      dcql_query: DCQL,
      aud: 'https://self-issued.me/v2',
    },
    jar: {requestUri: `${base}/request/signed`, jwtSigner: {method: 'did', didUrl, alg: 'ES256'}, expiresInSeconds: 300},
  });
  requests.signed = signed.authorizationRequestPayload;
  objects.signed = signed.jar.authorizationRequestJwt;
  links.signed = signed.authorizationRequest;
  console.log(JSON.stringify({base, links, requests, did}));
  process.stdin.resume();
  await new Promise(resolve => process.stdin.on('end', resolve));
  server.close();
  return {received, blocked};
}

const [command, ...args] = process.argv.slice(2);
let result;
if(command === 'wallet') {
  result = await wallet(...args);
} else if(command === 'verifier') {
  result = await verifierServer(...args);
} else {
  throw new Error(`unknown command ${command}`);
}
console.log(JSON.stringify(result));
process.exit(0);
