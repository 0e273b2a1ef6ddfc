// paillier_node.mjs — times paillier-bigint (node) at 2048 bits for make bench-paillier:
// key generation, encrypt, decrypt, add, multiply by a 31-bit plaintext.  Prints lines
// "name milliseconds" that bench_paillier.c reads and shows next to ppdl's figures.
import * as paillier from 'paillier-bigint'

const bits = Number(process.argv[2] || 2048)
const quick = process.argv.includes('--quick')
const budget = quick ? 200 : 1000                 // ms a measurement runs at least

function time (fn) {
  let it = 0
  const t0 = performance.now()
  let el
  do { fn(it++); el = performance.now() - t0 } while (el < budget)
  return el / it
}

const nkeys = quick ? 1 : 3
let t0 = performance.now()
let keys
for (let i = 0; i < nkeys; i++) keys = await paillier.generateRandomKeys(bits)
const keygen = (performance.now() - t0) / nkeys
const { publicKey, privateKey } = keys
const m = 5302195200n                              // 1234.5678 at 2^32, as ppdl encodes it
let c = publicKey.encrypt(m)
const c2 = publicKey.encrypt(m)
const k = 3141257527n                               // 0.7314 at 2^32
const out = {
  keygen,
  encrypt: time(() => { c = publicKey.encrypt(m) }),
  decrypt: time(() => { privateKey.decrypt(c) }),
  add: time(() => { publicKey.addition(c, c2) }),
  mul: time(() => { publicKey.multiply(c, k) })
}
if (privateKey.decrypt(publicKey.addition(c, c2)) !== 2n * m) {
  console.error('paillier-bigint: wrong sum'); process.exit(1)
}
for (const [name, ms] of Object.entries(out)) console.log(`${name} ${ms}`)
