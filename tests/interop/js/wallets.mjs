// Independent SD-JWT VC and OpenID4VCI implementations for tests/interop/test_js_wallets.py (run there, never by
// hand). Each command prints one JSON line last.
//
//   node wallets.mjs verify-sd-jwt PRESENTATION_FILE AUD NONCE
//     verifies a key-bound SD-JWT VC presentation with @sd-jwt/sd-jwt-vc as a verifier would: the issuer's key is
//     resolved from the JWT itself (iss = did:web, kid = a DID URL in it): the DID document is fetched from
//     https://HOST/PATH/did.json (the did:web rule), the verification method named by kid is found among those the
//     document lists for assertionMethod, and its key (a Multikey, or a publicKeyJwk) becomes the JWK the library
//     verifies with; the holder key is cnf.jwk; the KB-JWT's nonce is checked by the library, its aud here (the
//     library does not). The status list token (status.status_list.uri) is fetched and checked by the library,
//     signed by the same issuer key. Prints {verified, error, header, claims, kb, resolved}.
//   node wallets.mjs issue-sd-jwt AUD NONCE
//     issues, with @sd-jwt/sd-jwt-vc and a fresh P-256 issuer key (iss a did:key, kid its DID URL, so any verifier
//     resolves it offline), an SD-JWT VC bound to a fresh holder key (cnf.jwk), every claim but iss/vct/cnf/iat
//     selectively disclosable, and presents it with a KB-JWT for AUD and NONCE. Prints {issued, presentation,
//     issuer, holder_jwk}.
//   node wallets.mjs wallet OFFER_LINK TX_CODE AUD NONCE
//     a wallet with @openid4vc/openid4vci: resolves the offer (openid-credential-offer://?credential_offer_uri=),
//     the issuer's and authorisation server's metadata, gets an access token with the pre-authorised code and the
//     transaction code, and for each offered configuration gets a nonce, makes a JWT key proof with its own P-256
//     key and requests the credential; an SD-JWT VC it received is also presented with a KB-JWT for AUD and NONCE.
//     Prints {offer, metadata, token, credentials: {configuration id: {format, credential, presentation?}},
//     holder_jwk}.
//
// Network: every fetch except https://127.0.0.1:* is refused and recorded in "blocked" (installNetworkGuard of
// common.mjs, installed before any package is imported).
import {createHash, randomBytes, sign as nodeSign} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {b64url, decodeJson, installNetworkGuard, jwkToDidKey, p256, resolveIssuerKey} from './common.mjs';

const blocked = installNetworkGuard('wallets'); // before any package is imported

const {SDJwtVcInstance} = await import('@sd-jwt/sd-jwt-vc');
const {ES256, digest, generateSalt} = await import('@sd-jwt/crypto-nodejs');
const {Openid4vciClient} = await import('@openid4vc/openid4vci');
const {clientAuthenticationAnonymous} = await import('@openid4vc/oauth2');

// -- SD-JWT VC ------------------------------------------------------------------------------------------------

async function verifySdJwt(file, aud, nonce) {
  const presentation = (await readFile(file, 'utf8')).trim();
  const [jwt] = presentation.split('~');
  const [headerPart, payloadPart] = jwt.split('.');
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  let resolved;
  try {
    resolved = await resolveIssuerKey(payload.iss, header.kid);
    const verifier = await ES256.getVerifier(resolved.jwk);
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      verifier,
      kbVerifier: async (data, signature, claims) => {
        const holder = claims?.cnf?.jwk;
        if(!holder) {
          return false;
        }
        return (await ES256.getVerifier(holder))(data, signature);
      },
    });
    const result = await sdjwt.verify(presentation, {
      keyBindingNonce: nonce,
      requiredClaimKeys: ['given_name', 'family_name', 'achievement_title'],
    });
    if(result.kb?.payload?.aud !== aud) {
      throw new Error(`the KB-JWT is for ${result.kb?.payload?.aud}, not ${aud}`);
    }
    const claims = await sdjwt.getClaims(presentation);
    return {verified: true, error: null, header: result.header, claims, kb: result.kb, resolved, blocked};
  } catch(error) {
    return {verified: false, error: String(error?.message ?? error), header, resolved: resolved ?? null, blocked};
  }
}

async function holderSdJwt(holder) {
  return new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(holder.privateJwk),
    kbSignAlg: 'ES256',
  });
}

async function issueSdJwt(aud, nonce) {
  const issuer = p256();
  const holder = p256();
  const did = jwkToDidKey(issuer.publicJwk);
  const kid = `${did}#${did.slice('did:key:'.length)}`;
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    saltGenerator: generateSalt,
    signer: await ES256.getSigner(issuer.privateJwk),
    signAlg: 'ES256',
  });
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: did,
    iat: now,
    exp: now + 3600,
    vct: 'urn:eu.europa.ec.eudi:learning:credential:1',
    cnf: {jwk: holder.publicJwk},
    given_name: 'Jan',
    family_name: 'Kowalski',
    achievement_title: 'Data stewardship',
    learning_outcomes: ['Keeps research data findable', 'Writes a data management plan'],
    credit_points: 2,
  };
  const frame = {
    _sd: ['given_name', 'family_name', 'achievement_title', 'learning_outcomes', 'credit_points'],
    learning_outcomes: {_sd: [0, 1]},
  };
  const issued = await sdjwt.issue(claims, frame, {header: {kid}});
  const presentation = await (await holderSdJwt(holder)).present(
    issued,
    {given_name: true, family_name: true, achievement_title: true, learning_outcomes: {0: true}},
    {kb: {payload: {iat: now, aud, nonce}}},
  );
  return {issued, presentation, issuer: did, kid, holder_jwk: holder.publicJwk, blocked};
}

// -- OpenID4VCI wallet ----------------------------------------------------------------------------------------

function signJwtWith(keys) {
  return async (signer, {header, payload}) => {
    if(signer.method !== 'jwk') {
      throw new Error(`this wallet signs with a jwk, not ${signer.method}`);
    }
    const key = keys.get(JSON.stringify([signer.publicJwk.x, signer.publicJwk.y]));
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = nodeSign('sha256', Buffer.from(input), {key: key.privateKey, dsaEncoding: 'ieee-p1363'});
    return {jwt: `${input}.${b64url(signature)}`, signerJwk: signer.publicJwk};
  };
}

async function wallet(link, txCode, aud, nonce) {
  const holder = p256();
  const keys = new Map([[JSON.stringify([holder.publicJwk.x, holder.publicJwk.y]), holder]]);
  const client = new Openid4vciClient({
    callbacks: {
      fetch: globalThis.fetch,
      hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
      generateRandom: n => randomBytes(n),
      signJwt: signJwtWith(keys),
      clientAuthentication: clientAuthenticationAnonymous(),
    },
  });
  const step = {name: 'resolve the offer'};
  try {
    const offer = await client.resolveCredentialOffer(link);
    step.name = 'resolve the issuer metadata';
    const metadata = await client.resolveIssuerMetadata(offer.credential_issuer);
    step.name = 'get an access token';
    const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer,
      issuerMetadata: metadata,
      txCode,
    });
    const credentials = {};
    for(const id of offer.credential_configuration_ids) {
      step.name = `get a nonce for ${id}`;
      const {c_nonce: cNonce} = await client.requestNonce({issuerMetadata: metadata});
      step.name = `make a key proof for ${id}`;
      const {jwt} = await client.createCredentialRequestJwtProof({
        issuerMetadata: metadata,
        credentialConfigurationId: id,
        signer: {method: 'jwk', alg: 'ES256', publicJwk: holder.publicJwk},
        nonce: cNonce,
      });
      step.name = `request ${id}`;
      const {credentialResponse} = await client.retrieveCredentials({
        issuerMetadata: metadata,
        accessToken: accessTokenResponse.access_token,
        credentialConfigurationId: id,
        proofs: {jwt: [jwt]},
      });
      const [{credential}] = credentialResponse.credentials;
      const format = metadata.credentialIssuer.credential_configurations_supported[id].format;
      const entry = {format, credential, proof: jwt, notification_id: credentialResponse.notification_id ?? null};
      if(format === 'dc+sd-jwt') {
        step.name = `present ${id}`;
        const now = Math.floor(Date.now() / 1000);
        entry.presentation = await (await holderSdJwt(holder)).present(
          credential,
          {given_name: true, family_name: true, achievement_title: true},
          {kb: {payload: {iat: now, aud, nonce}}},
        );
      }
      if(credentialResponse.notification_id) {
        step.name = `notify for ${id}`;
        await client.sendNotification({
          issuerMetadata: metadata,
          accessToken: accessTokenResponse.access_token,
          notification: {notificationId: credentialResponse.notification_id, event: 'credential_accepted'},
        });
      }
      credentials[id] = entry;
    }
    return {
      ok: true,
      offer,
      metadata: {
        draft: metadata.originalDraftVersion,
        credential_issuer: metadata.credentialIssuer.credential_issuer,
        authorization_servers: metadata.authorizationServers.map(s => s.issuer),
      },
      token: {token_type: accessTokenResponse.token_type, expires_in: accessTokenResponse.expires_in},
      credentials,
      holder_jwk: holder.publicJwk,
      blocked,
    };
  } catch(error) {
    const details = {message: String(error?.message ?? error), name: error?.name};
    for(const field of ['response', 'responseText', 'errorResponse', 'zodError']) {
      if(error?.[field] !== undefined && field !== 'response') {
        details[field] = error[field];
      }
    }
    if(error?.response?.status) {
      details.status = error.response.status;
    }
    return {ok: false, step: step.name, error: details, blocked};
  }
}

const [command, ...args] = process.argv.slice(2);
let result;
if(command === 'verify-sd-jwt') {
  result = await verifySdJwt(...args);
} else if(command === 'issue-sd-jwt') {
  result = await issueSdJwt(...args);
} else if(command === 'wallet') {
  result = await wallet(...args);
} else {
  throw new Error(`unknown command ${command}`);
}
console.log(JSON.stringify(result));
