"""The python-paillier side of tests/interop/phe.sh: each subcommand reads and writes
files in a directory, using phe's own classes (and pheutil's command-line code where it
has a command for the step), so ppdl is checked against the real library.

  phe_peer.py genpkey DIR       writes DIR/phe_priv.jwk and DIR/phe_pub.jwk as pheutil's
                                genpkey and extract do (used when click is missing)
  phe_peer.py ciphertexts DIR   encrypts ordinary floats under DIR/phe_pub.jwk (phe gives
                                each its own exponent) into DIR/phe_list.json, the values
                                into DIR/phe_values.txt
  phe_peer.py check DIR         decrypts ppdl's ciphertexts with ppdl's private key,
                                then sums them homomorphically (with a float phe encrypts
                                itself) into DIR/phe_sum.json; prints ok/FAIL lines
"""
import json
import os
import sys

from phe import paillier, util


def load_public(path):
    with open(path) as f:
        jwk = json.load(f)
    assert jwk['kty'] == 'DAJ' and jwk['alg'] == 'PAI-GN1', 'not a Paillier public key'
    return paillier.PaillierPublicKey(util.base64_to_int(jwk['n']))


def load_private(path):
    """As pheutil decrypt reads a private key: "pub", then "p" and "q"."""
    with open(path) as f:
        jwk = json.load(f)
    assert jwk['kty'] == 'DAJ' and 'decrypt' in jwk['key_ops'], 'not a private key'
    pub = load_public_jwk(jwk['pub'])
    return paillier.PaillierPrivateKey(pub, util.base64_to_int(jwk['p']),
                                       util.base64_to_int(jwk['q']))


def load_public_jwk(jwk):
    return paillier.PaillierPublicKey(util.base64_to_int(jwk['n']))


def to_json(enc):
    return {'v': str(enc.ciphertext()), 'e': enc.exponent}


def from_json(pub, obj):
    return paillier.EncryptedNumber(pub, int(obj['v']), exponent=obj['e'])


VALUES = [0.1, 3.14159, -2.5e-3, 1e10, 7, 0.0, -123.456]


def genpkey(d):
    pub, priv = paillier.generate_paillier_keypair(n_length=512)
    jwk_pub = {'kty': 'DAJ', 'alg': 'PAI-GN1', 'key_ops': ['encrypt'],
               'n': util.int_to_base64(pub.n), 'kid': 'phe_peer public key'}
    jwk_priv = {'kty': 'DAJ', 'key_ops': ['decrypt'], 'p': util.int_to_base64(priv.p),
                'q': util.int_to_base64(priv.q), 'pub': jwk_pub, 'kid': 'phe_peer private key'}
    with open(os.path.join(d, 'phe_priv.jwk'), 'w') as f:
        json.dump(jwk_priv, f)
    with open(os.path.join(d, 'phe_pub.jwk'), 'w') as f:
        json.dump(jwk_pub, f)


def ciphertexts(d):
    pub = load_public(os.path.join(d, 'phe_pub.jwk'))
    encs = [pub.encrypt(x) for x in VALUES]
    exps = sorted({e.exponent for e in encs})
    assert len(exps) > 1, 'expected mixed exponents, got %r' % exps
    with open(os.path.join(d, 'phe_list.json'), 'w') as f:
        json.dump([to_json(e) for e in encs], f)
    with open(os.path.join(d, 'phe_values.txt'), 'w') as f:
        f.write(', '.join(repr(float(x)) for x in VALUES))
    print('exponents', ' '.join(str(e.exponent) for e in encs))


def check(d):
    fails = 0

    def verdict(name, ok, detail=''):
        nonlocal fails
        print(('ok   ' if ok else 'FAIL ') + name + (': ' + detail if detail and not ok else ''))
        fails += 0 if ok else 1

    priv = load_private(os.path.join(d, 'ppdl_priv.jwk'))
    pub = load_public(os.path.join(d, 'ppdl_pub.jwk'))
    verdict('ppdl public key equals the private key\'s', pub == priv.public_key)
    with open(os.path.join(d, 'ppdl_list.json')) as f:
        encs = [from_json(pub, o) for o in json.load(f)]
    want = [1.5, -2.25, 1000.125, 0.0078125]
    got = [priv.decrypt(e) for e in encs]
    verdict('phe decrypts ppdl\'s ciphertexts', got == want, '%r != %r' % (got, want))
    # the homomorphic sum: ppdl's ciphertexts, phe's own encryption of a float with
    # another exponent, and a plaintext multiple
    extra = pub.encrypt(0.1)
    total = sum(encs[1:], encs[0]) * 3 + extra
    with open(os.path.join(d, 'phe_sum.json'), 'w') as f:
        json.dump(to_json(total), f)
    with open(os.path.join(d, 'phe_sum_want.txt'), 'w') as f:
        f.write(repr(3 * sum(want) + 0.1))
    verdict('phe decrypts its own sum of ppdl\'s ciphertexts',
            abs(priv.decrypt(total) - (3 * sum(want) + 0.1)) < 1e-9)
    # ppdl encrypting under phe's public key, phe decrypting with its private key
    phe_priv = load_private(os.path.join(d, 'phe_priv.jwk'))
    with open(os.path.join(d, 'ppdl_under_phe.json')) as f:
        rows = json.load(f)
    got = [[phe_priv.decrypt(from_json(phe_priv.public_key, o)) for o in row] for row in rows]
    want = [[0.5, -1.5], [2.0, 3.0]]
    verdict('phe decrypts what ppdl encrypted under phe\'s key', got == want,
            '%r != %r' % (got, want))
    return fails


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('genpkey', 'ciphertexts', 'check'):
        sys.exit(__doc__)
    if sys.argv[1] == 'genpkey':
        genpkey(sys.argv[2])
    elif sys.argv[1] == 'ciphertexts':
        ciphertexts(sys.argv[2])
    else:
        sys.exit(1 if check(sys.argv[2]) else 0)
