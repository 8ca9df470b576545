// Helpers the harness scripts of tests/interop/js share (interop.mjs, wallets.mjs, issuer.mjs, openid4vp.mjs):
// tests/interop/node.py copies this module beside the script it runs. It imports only node's own modules, so
// importing it loads none of the packages under test: a script calls installNetworkGuard() first and only then
// imports those (await import(...)), so that no package can fetch anything before the guard is in place.
import {createPublicKey, generateKeyPairSync} from 'node:crypto';

// -- network ---------------------------------------------------------------------------------------------------

// Replaces globalThis.fetch: every fetch except https://127.0.0.1:* is refused (an error naming the harness) and
// its URL recorded in the returned list, which the scripts report as "blocked".
export function installNetworkGuard(name) {
  const realFetch = globalThis.fetch;
  const blocked = [];
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : (input.url ?? String(input));
    if(!url.startsWith('https://127.0.0.1:')) {
      blocked.push(url);
      throw new Error(`${name} harness: no network access to ${url}`);
    }
    return realFetch(input, init);
  };
  return blocked;
}

// -- encodings -------------------------------------------------------------------------------------------------

export const b64url = bytes => Buffer.from(bytes).toString('base64url');
export const decodeJson = part => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58(bytes) {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while(n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for(const b of bytes) {
    if(b !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}

export function unbase58(text) {
  let n = 0n;
  for(const c of text) {
    const i = B58.indexOf(c);
    if(i < 0) {
      throw new Error('not base58');
    }
    n = n * 58n + BigInt(i);
  }
  let hex = n.toString(16);
  if(hex.length % 2) {
    hex = '0' + hex;
  }
  const zeros = text.match(/^1*/)[0].length;
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
}

// -- P-256 keys ------------------------------------------------------------------------------------------------

const P256_SPKI = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
const P256_MULTICODEC = Buffer.from([0x80, 0x24]); // p256-pub, 0x1200 as a varint

// A P-256 Multikey (z + base58btc of 0x1200 varint + compressed point) as a JWK (node decompresses the point).
export function multikeyToJwk(multibase) {
  if(!multibase.startsWith('z')) {
    throw new Error('only base58btc Multikeys are read');
  }
  const bytes = unbase58(multibase.slice(1));
  if(!bytes.subarray(0, 2).equals(P256_MULTICODEC) || bytes.length !== 35) {
    throw new Error('not a P-256 Multikey');
  }
  const spki = Buffer.concat([P256_SPKI, bytes.subarray(2)]);
  return createPublicKey({key: spki, format: 'der', type: 'spki'}).export({format: 'jwk'});
}

// The did:key of a P-256 public JWK (its Multikey: the compressed point after the 0x1200 varint).
export function jwkToDidKey(jwk) {
  const der = createPublicKey({key: jwk, format: 'jwk'}).export({format: 'der', type: 'spki'});
  const point = Buffer.from(der.subarray(der.length - 65));
  const compressed = Buffer.concat([Buffer.from([2 + (point[64] & 1)]), point.subarray(1, 33)]);
  return 'did:key:z' + base58(Buffer.concat([P256_MULTICODEC, compressed]));
}

// A fresh P-256 key pair: its public JWK, the private KeyObject, and the private JWK.
export function p256() {
  const {publicKey, privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'});
  return {publicJwk: publicKey.export({format: 'jwk'}), privateKey, privateJwk: privateKey.export({format: 'jwk'})};
}

// -- did:web resolution (what a verifier's DID resolver does) ----------------------------------------------------

export function didWebUrl(did) {
  const [, , host, ...path] = did.split(':');
  const tail = path.length ? path.map(decodeURIComponent).join('/') : '.well-known';
  return `https://${decodeURIComponent(host)}/${tail}/did.json`;
}

// The key kid names in the did:web DID document of iss (fetched from https://HOST/PATH/did.json), provided the
// document lists kid for one of the verification relationships named (a Multikey, or a publicKeyJwk, as a JWK).
export async function resolveIssuerKey(iss, kid, relations = ['assertionMethod']) {
  if(!iss.startsWith('did:web:')) {
    throw new Error(`the issuer ${iss} is not a did:web DID`);
  }
  if(!kid || !kid.startsWith(iss + '#')) {
    throw new Error(`the kid ${kid} is not a DID URL of the issuer ${iss}`);
  }
  const url = didWebUrl(iss);
  const response = await fetch(url, {headers: {Accept: 'application/did+json, application/json'}});
  if(!response.ok) {
    throw new Error(`the DID document ${url} answered ${response.status}`);
  }
  const document = await response.json();
  if(document.id !== iss) {
    throw new Error(`the DID document at ${url} is not that of ${iss}`);
  }
  const absolute = id => (id.startsWith('#') ? iss + id : id);
  const listed = relations.flatMap(r => document[r] ?? []).map(m => absolute(typeof m === 'string' ? m : m.id));
  if(!listed.includes(kid)) {
    throw new Error(`${kid} is not listed for ${relations.join(' or ')} by ${iss}`);
  }
  const method = (document.verificationMethod ?? []).find(m => absolute(m.id) === kid);
  if(!method) {
    throw new Error(`${kid} is not in the DID document`);
  }
  const jwk = method.publicKeyJwk ?? multikeyToJwk(method.publicKeyMultibase);
  return {url, kid, type: method.type, jwk};
}
