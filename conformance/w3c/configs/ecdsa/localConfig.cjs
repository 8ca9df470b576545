const {base, issuerDid, authHeaders} = require('../cairn-common.cjs');
// Cairn's own config for the W3C vc-di-ecdsa suite (the copy in ../shared stays as it was).
// Issuers: one entry per cryptosuite and key type, because the suite sends every issuer of a tag the tests of
// each key type it declares and checks the proof's key: /suites/{cryptosuite}/{keyType}/credentials/issue picks
// the organisation's P-256 or P-384 key (src/cairn/web/verification/vcapi.py). ecdsa-sd-2023 is P-256 only: the
// specification's derived proof holds a 64-byte base signature, and the suite tests ecdsa-sd-2023 with P-256.
// The verifier takes P-256 and P-384 and ecdsa-sd-2023 derived proofs. Verifiers declare VC 1.1 and 2.0
// (docs/verify.md): the suite runs its verifier blocks once per declared VC version.
const issuer = (suite, keyType) => ({
  id: issuerDid, endpoint: `${base}/suites/${suite}/${keyType}/credentials/issue`,
  headers: authHeaders, supportedEcdsaKeyTypes: [keyType], supports: {vc: ['2.0']},
  tags: [suite]
});
module.exports = {
  settings: {enableInteropTests: false, testAllImplementations: false},
  implementations: [{
    name: 'Cairn', implementation: 'Cairn (local)',
    issuers: [
      issuer('ecdsa-rdfc-2019', 'P-256'),
      issuer('ecdsa-rdfc-2019', 'P-384'),
      issuer('ecdsa-jcs-2019', 'P-256'),
      issuer('ecdsa-jcs-2019', 'P-384'),
      issuer('ecdsa-sd-2023', 'P-256')
    ],
    verifiers: [{
      id: issuerDid, endpoint: `${base}/credentials/verify`,
      supportedEcdsaKeyTypes: ['P-256', 'P-384'], supports: {vc: ['1.1', '2.0']},
      tags: ['ecdsa-rdfc-2019', 'ecdsa-jcs-2019', 'ecdsa-sd-2023']
    }],
    vcHolders: [{
      id: issuerDid, endpoint: `${base}/credentials/derive`,
      tags: ['vcHolder']
    }]
  }]
};
