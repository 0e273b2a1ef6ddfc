/*
** lib_network.h — the kinds of the 'nn' module, for the modules that run networks under
** encryption or secret sharing (HE, MPC) and for federated protocols.  A network value
** holds an NnNet (the layer list, runtime/network.h); a model value holds an NnModel (its
** net plus one flat float32 parameter vector).  Both stay owned by their values.
**
** Getting at the pieces (see runtime/network.h for the layout):
**   const NnNet *net = lib_network_of(v);           network or model value
**   net->layer[i].kind, .in, .out, .k, .stride, .pad, .approx.coef[0..degree]
**   NnModel *m = lib_model_of(v);
**   Tn *W = nn_model_weight(m, i), *b = nn_model_bias(m, i);   copies, NULL if none
**   nn_model_set_weight(m, i, W, err) / nn_model_set_bias(...)   write back
**   m->w[0 .. m->net->nparams)                      all parameters, flat (averaging)
** Polynomial activations use net->layer[i].approx (coefficients from nn_poly_fit_*),
** the same numbers plaintext training uses.
*/
#ifndef LIB_NN_H
#define LIB_NN_H
#include "network.h"
#include "val.h"

/* type() "layer", "network", "model", "approximation". */
extern const VClass lib_layer_class, lib_network_class, lib_model_class, lib_approx_class;

/* The layer description inside a layer value (borrowed), or NULL. */
const NnLayer *lib_layer_of(Value v);
/* The network of a network value or of a model value (borrowed), or NULL. */
const NnNet   *lib_network_of(Value v);
/* The model inside a model value (borrowed, mutable), or NULL. */
NnModel       *lib_model_of(Value v);
/* A new model value (owned, public) taking ownership of m; place it with val_at(). */
Value          lib_model_new(NnModel *m);

/* The wire form of a network (stdlib/lib_wire.h): [name, [layer, ...]], checked on
** arrival as a declared network is; NULL after wire_fail. */
struct WireW; struct WireR;
void   lib_nn_put_net(struct WireW *w, const NnNet *net);
NnNet *lib_nn_get_net(struct WireR *r, const struct msgpack_object *o);

#endif
