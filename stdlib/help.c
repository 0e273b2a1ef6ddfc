/*
** help.c — the pages of help("on"), help("mpc"), ... (see help.h): the statements that
** are keywords rather than builtins, and one page a concept, each short enough for a
** terminal and ending with an example that runs.  The builtins document themselves in
** their own tables; the docs folder holds the long story.
*/
#include "help.h"
#include <string.h>

const HelpTopic help_topics[] = {
    {"party", "statement", "party NAME, NAME, ...: declare who takes part",
     "Declares parties. Each party has its own store of values, its own files directory and\n"
     "its own random generator; a value crosses from one party to another only as a message,\n"
     "which the transcript records (view, messages, cost, diagram). A party value has a\n"
     "name: p.name. Top-level code is the experimenter: it may look at every party's values.",
     "party alice, bob\nprint(alice.name, type(bob))   # -> alice party"},
    {"at", "statement", "x at p: place a value at a party",
     "`expr at p` puts the value into p's store: it is p's private data from then on. Another\n"
     "party cannot read it (`on bob { x + 1 }` is refused); moving it takes send, share or\n"
     "encrypt. A file loaded with `load_csv(...) at p` is read from p's directory. `at` has\n"
     "the lowest precedence: `x + 1 at p` places x + 1.",
     "party alice\nx = 41 at alice\nprint(x + 1)   # the experimenter may look; it is still alice's\n# -> 42 (at alice)"},
    {"on", "statement", "on p { ... }: run code as one party",
     "Runs the block with p's view: p may read its own values and public ones, and what the\n"
     "block creates lives at p. Reading another party's value is an error naming both, and\n"
     "the block may change only p's variables (so nothing p computes shows through a public\n"
     "one). The experimenter's builtins (view, messages, cost, diagram, seed) are refused\n"
     "inside `on`.",
     "party alice, bob\nx = 20 at alice\non alice { y = x * 2 }\ntry { on bob { z = x } } catch e { print(e.message) }\nprint(y)\n"
     "# -> 'x' lives at alice; bob cannot read it (use send, share or encrypt to move it)\n"
     "# -> 40 (at alice)"},
    {"scheme", "statement", "scheme NAME = ...: name a protection scheme",
     "Binds a name to a scheme: paillier(bits, keyholder) for additively homomorphic\n"
     "encryption, additive(among, dealer) or shamir(among, threshold) for secret sharing.\n"
     "The same as an assignment, with a check that the value is a scheme. See help(\"mpc\")\n"
     "and help(\"paillier\").",
     "party a, b, c, d\nscheme ss = additive(among = [a, b, c], dealer = d)\nprint(type(ss))   # -> scheme"},
    {"network", "statement", "network NAME { layers }: declare a neural network",
     "Declares a network architecture, one layer a line (or separated by `;`): dense(in, out),\n"
     "relu, sigmoid, softmax, square, conv2d, maxpool, flatten, ... A bare layer name means a\n"
     "call without arguments. model(net) makes trainable weights; train, predict and\n"
     "evaluate use them (docs/training.md).",
     "network tiny {\n    dense(2, 4)\n    relu\n    dense(4, 2)\n    softmax\n}\nprint(type(tiny))\n"
     "# -> network"},
    {"try", "statement", "try { ... } catch e { ... }: go on after an error",
     "Runs the first block; when it raises an error (a refusal, a bad argument, a spent\n"
     "budget, error(...)), the catch block runs with e = {message, line, column, file}.\n"
     "error(e) raises it again. Ctrl-C is not caught.",
     "try { x = 1 / 0 } catch e { print(\"refused:\", e.message, \"at line\", e.line) }\n"
     "# -> refused: division by zero at line 1"},
    {"mpc", "concept", "secure multi-party computation with secret sharing",
     "Secret sharing splits a value into shares, one a party: with additive sharing the\n"
     "shares are uniformly random numbers mod 2^64 that add up to the value, so any n - 1 of\n"
     "them show nothing. Sums of shared values are local (each party adds its shares);\n"
     "products need Beaver triples from a dealer (the offline phase) and one round of\n"
     "openings (the online phase). Shamir sharing (threshold t) survives parties dropping\n"
     "out. share(x, ss) splits, reveal(s, to = p) opens. Builtins: share, reveal, shares,\n"
     "additive, shamir, train on a shared dataset. docs/shares.md.",
     "party h1, h2, h3, dealer\nss = additive(among = [h1, h2, h3], dealer = dealer)\n"
     "a = share(3 at h1, ss)\nb = share(4 at h2, ss)\nprint(reveal(a * b + a, to = h3))\n"
     "# -> 15 (at h3)\ncost()\n"
     "# -> cost: 24 messages, 1074 bytes, 7 rounds\n"
     "# ->   party        phase            sent    bytes out   received     bytes in   rounds\n"
     "# ->   h1           online              7          250          5          182        4\n"
     "# ->   h1           offline             0            0          2          158        0\n"
     "# ->   h2           online              7          250          5          182        4\n"
     "# ->   h2           offline             0            0          2          134        0\n"
     "# ->   h3           online              4          148          8          284        2\n"
     "# ->   h3           offline             0            0          2          134        0\n"
     "# ->   dealer       offline             6          426          0            0        2"},
    {"paillier", "concept", "additively homomorphic encryption (Paillier 1999)",
     "A Paillier public key encrypts; only the keyholder's private key decrypts. Anyone can\n"
     "add ciphertexts and multiply them by plain numbers without the key: Enc(a) + Enc(b) is\n"
     "Enc(a + b). A product of two ciphertexts needs the keyholder: a blinded round trip\n"
     "(he_mul) in which the keyholder sees only masked values. Ciphertexts are re-randomised\n"
     "when sent, so the receiver cannot link them. Builtins: paillier, encrypt, decrypt,\n"
     "he_send, he_sum, he_mul, he_matmul. docs/paillier.md.",
     "party client, server\nscheme he = paillier(bits = 512, keyholder = client)\n"
     "c = encrypt(tensor([1, 2, 3]) at client, he)\nat_server = send(c, to = server)\n"
     "on server { total = he_sum(at_server) * 2 }\nback = send(total, to = client)\n"
     "on client { print(decrypt(back)) }   # -> 12\nview(server)\n"
     "# -> view(server): 1 message received, ... bytes; no plaintext of another party's data\n"
     "# ->   round 1    client     -> server     ciphertext        ... B  ciphertext[3] ... ... ... (re-randomised)"},
    {"dp", "concept", "differential privacy: noise with a budget",
     "A mechanism is (epsilon, delta)-differentially private when changing one person's\n"
     "record changes the probability of any output by at most a factor e^epsilon (plus\n"
     "delta). laplace and gaussian add calibrated noise to a statistic; train(..., dp =\n"
     "dpsgd(clip, noise)) clips each example's gradient and adds noise (DP-SGD). A dataset\n"
     "carries a budget: every release charges it, and one that would exceed it is refused.\n"
     "Builtins: budget, laplace, gaussian, laplace_sum, dpsgd, epsilon. docs/privacy.md.",
     "d = load_csv(\"samples/data/pima_diabetes.csv\", label = \"diabetes\")\nbudget(d, epsilon = 1)\n"
     "n = laplace(len(d), epsilon = 0.5, data = d)\n"
     "try { laplace(len(d), epsilon = 0.8, data = d) } catch e { print(\"refused:\", e.message) }\n"
     "# -> refused: privacy budget exceeded: laplace(sensitivity = 1, epsilon = 0.8) costs epsilon 0.8, delta 0 (total after it: epsilon 1.3, delta 0); spent epsilon 0.5 of 1 (0.5 left), delta 0 of 0 (0 left)"},
    {"rounds", "concept", "rounds, messages and bytes: what a protocol costs",
     "Every message between parties goes through one layer that records it in the\n"
     "transcript: sender, receiver, kind, real size in bytes, round and phase. A round is a\n"
     "set of messages that travel at the same time (one network latency): each send is a\n"
     "round of its own, a parallel { } block makes its sends one round, and protocols count\n"
     "their own rounds (a shared product: one online round). view(p) lists what p received,\n"
     "messages() returns the records, cost() the totals, diagram() draws the protocol.",
     "party a, b, c\nparallel { x = send(1 at a, to = b); y = send(2 at a, to = c) }\nz = send(x, to = c)\n"
     "t = cost()\nprint(t.rounds, t.messages)   # -> 2 3"},
    {"lab", "concept", "a 90-minute lab in six exercises (docs/lab/README.md)",
     "A lab for a class, one exercise a quarter of an hour, each with code to type,\n"
     "questions and what to observe: (1) placement and views, (2) a secure sum and its\n"
     "rounds, (3) Paillier aggregation and what the server sees, (4) the gradient-leak\n"
     "attack and secure aggregation, (5) DP-SGD and the membership attack, (6) the privacy\n"
     "budget. The pages are docs/lab/1-placement.md ... 6-budget.md; the solutions run as\n"
     "./ppdl samples/lab/ex1_placement.ppdl ... ex6_budget.ppdl. Exercise 1 starts:",
     "party alice, bob, server\nage = 41 at alice\n"
     "try { on bob { guess = age * 2 } } catch e { print(\"refused:\", e.message) }\n"
     "copy = send(age, to = server)\nview(server)\n"
     "# -> refused: 'age' lives at alice; bob cannot read it (use send, share or encrypt to move it)\n"
     "# -> view(server): 1 message received, 25 bytes\n"
     "# ->   1 message carried another party's plaintext data\n"
     "# ->   round 1    alice      -> server     plain              25 B  41   << LEAK: plaintext of alice's data"},
    {NULL, NULL, NULL, NULL, NULL}
};

const HelpTopic *help_topic(const char *name)
{
    for (const HelpTopic *t = help_topics; t->name; t++)
        if (strcmp(t->name, name) == 0) return t;
    return NULL;
}
