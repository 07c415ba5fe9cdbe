// Operator attributes in case files, shared by the fused-op cases
// (cases/case.h) and the nodes of graph cases (cases/graph_case.h):
//
//   "activation": {"kind": "none" | "relu" | "clamp", "lo": F32, "hi": F32}
//                 optional, default none; lo and hi required for clamp only
//   "stride": [sh, sw], "padding": [top, left, bottom, right] or [ph, pw]
//   (= [ph, pw, ph, pw]), "dilation": [dh, dw], "groups": g
//                 all optional, defaults [1, 1] / [0, 0, 0, 0] / [1, 1] / 1;
//                 any int64 values (the op checks them)
//   "qlinear_contract": {"bias": "float" | "int32_acc",
//                        "output_zero_point": "after_rounding" | "before_rounding"}
//                 qlinear and qconv2d only (core/qlinear_contract.h); optional,
//                 each member optional, defaults float / after_rounding
//
// Writers: the activation only when it is not none, on one line (clamp
// writes lo and hi exactly); conv attributes always, padding with 4 entries;
// the qlinear contract only when it is not the default, both members, on
// one line (so files of the default contract are as before it existed).
#pragma once

#include "cases/json_fields.h"
#include "cases/json_writer.h"
#include "core/fused_ops.h"

namespace qdiff {

// The optional member "activation" of obj.
Activation read_activation(const JsonObjectReader& obj);
void write_activation(ObjectWriter& w, const Activation& a);

// The optional member "qlinear_contract" of obj.
QLinearContract read_qlinear_contract(const JsonObjectReader& obj);
void write_qlinear_contract(ObjectWriter& w, const QLinearContract& c);

// The optional members stride, padding, dilation, groups of obj.
Conv2dAttrs read_conv2d_attrs(const JsonObjectReader& obj);
void write_conv2d_attrs(ObjectWriter& w, const Conv2dAttrs& a);

}  // namespace qdiff
