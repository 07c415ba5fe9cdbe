// Case types of the fused quantized operators (SPEC section 8) and the
// Case variant that covers every op family this build knows (graph cases:
// cases/graph_case.h). Case files
// extend SPEC section 11 in the same style (docs/case-file-format.md):
//
//   {"format": "qdiff-case", "version": 1, "op": "qlinear",
//    "x": TENSOR, "x_params": PARAMS, "w": TENSOR, "w_params": PARAMS,
//    "bias": TENSOR,                                  // optional
//    "out_params": PARAMS,
//    "activation": {"kind": "clamp", "lo": -1.0, "hi": 6.0}}  // optional
//   qconv2d: the same fields plus "stride": [sh, sw], "padding": [top, left,
//            bottom, right] or [ph, pw] (= [ph, pw, ph, pw]), "dilation":
//            [dh, dw], "groups": g (all optional, defaults 1 / 0 / 1 / 1)
//   qadd, qmul: "a", "a_params", "b", "b_params", "out_params", "activation"
// PARAMS = {"scale": TENSOR, "zero_point": TENSOR (optional),
//           "block_size": [...] (optional), "dtype": "i8",
//           "quant_min": -128, "quant_max": 127,
//           "zero_point_domain": "int"}           // same fields as an affine case
// activation "kind": none (the default when absent), relu, or clamp, which
// needs "lo" and "hi" (f32 values, written like tensor data).
//
// The parser rejects only what the structs cannot hold (malformed_case with
// the field's path, e.g. "w_params.scale.shape[0]", or too_large); semantic
// defects (negative stride, mismatched shapes, a bias of the wrong dtype,
// lo > hi) are the op's to reject, so a case meant to fail can be stored.
// The writer writes every attribute (qconv2d: stride, 4-entry padding,
// dilation, groups), the activation only when it is not none, and f32 values
// exactly; write_case(parse_case(write_case(c))) == write_case(c).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "cases/affine_case.h"
#include "cases/graph_case.h"
#include "core/fused_ops.h"

namespace qdiff {

struct QLinearCase {
  QLinearArgs args;
};
struct QConv2dCase {
  QConv2dArgs args;
};
struct QElementwiseCase {
  QElementwiseArgs args;  // args.op says qadd or qmul
};

// GraphCase (cases/graph_case.h): "op": "graph".
using Case = std::variant<AffineCase, QLinearCase, QConv2dCase, QElementwiseCase, GraphCase>;

// The case file's "op" value: "quantize_affine", ..., "qlinear", "qconv2d",
// "qadd", "qmul", "graph".
std::string case_op_name(const Case& c);
// One line: op, shapes, layouts of every QuantParams, dtypes, attributes.
std::string case_summary(const Case& c);

// Parses any case file: an affine op gives exactly what parse_affine_case
// gives. Throws malformed_case (or too_large).
Case parse_case(std::string_view json_text);
std::string write_case(const Case& c);

// A finding names the property that failed on its case in an extra
// top-level field, "property": "QuantizeIsMonotoneWithinABlock" (readers
// that do not know it ignore it). Absent or empty: the op's own oracle.
struct CaseFile {
  Case c;
  std::string property;
};
CaseFile parse_case_file(std::string_view json_text);
std::string write_case_file(const CaseFile& f);

}  // namespace qdiff
