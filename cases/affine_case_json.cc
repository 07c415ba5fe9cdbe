#include "cases/affine_case_json.h"

#include "cases/case_file.h"
#include "cases/case_header.h"
#include "cases/f32_text.h"
#include "cases/json_document.h"
#include "cases/json_writer.h"
#include "cases/params_json.h"
#include "cases/tensor_json.h"

namespace qdiff {
namespace {

Contract read_contract(const JsonObjectReader& root) {
  const JsonNode* n = root.find("contract");
  if (!n) return Contract::torchao;
  const std::string_view name = read_string(root.doc(), *n, "contract");
  const auto c = parse_contract(name);
  if (!c) {
    field_error("contract", "must be torchao, onnx, half_away or zp_before, got {}",
                quoted_excerpt(name));
  }
  return *c;
}

ChooseQParamsArgs read_choose_args(const JsonObjectReader& root) {
  ChooseQParamsArgs a;
  const QuantTypeFields t = read_quant_type(root);
  a.dtype = t.dtype;
  a.quant_min = t.quant_min;
  a.quant_max = t.quant_max;
  a.zero_point_domain = read_zero_point_domain(root);
  const std::string_view mapping = root.required_string("mapping");
  const auto m = parse_mapping(mapping);
  if (!m) {
    field_error("mapping", "must be symmetric, symmetric_no_clipping_err or asymmetric, got {}",
                quoted_excerpt(mapping));
  }
  a.mapping = *m;
  if (const JsonNode* eps = root.find("eps")) a.eps = read_f32(root.doc(), *eps, "eps");
  a.block_size = read_block_size(root);
  return a;
}

}  // namespace

AffineCase read_affine_case_fields(const JsonObjectReader& root, AffineOpKind op) {
  AffineCase c;
  c.op = op;
  c.contract = read_contract(root);
  c.input = read_tensor(root.doc(), root.require("input"), "input");
  if (c.op == AffineOpKind::choose_qparams) {
    c.choose = read_choose_args(root);
  } else {
    c.params = read_quant_params(root);
  }
  return c;
}

AffineCase parse_affine_case(std::string_view json_text) {
  const JsonDocument doc = JsonDocument::parse(json_text);
  const JsonObjectReader root(doc, doc.root(), "");
  check_header(root, kCaseFormat);
  const std::string_view name = read_op_name(root);
  const auto op = parse_affine_op(name);
  if (!op) {
    if (is_fused_op_name(name)) {
      field_error("op",
                  "is {}, a fused op: parse_affine_case reads the affine ops only, "
                  "parse_case (cases/case.h) reads every op",
                  quoted_excerpt(name));
    }
    if (name == kGraphOpName) {
      field_error("op",
                  "is \"graph\", a graph case: parse_affine_case reads the affine ops only, "
                  "parse_case (cases/case.h) reads every op");
    }
    unknown_op_error(name);
  }
  return read_affine_case_fields(root, *op);
}

std::string write_affine_case(const AffineCase& c) {
  ObjectWriter w(0);
  write_header(w, kCaseFormat);
  w.string("op", affine_op_name(c.op));
  w.string("contract", contract_name(c.contract));
  w.tensor("input", c.input);
  if (c.op == AffineOpKind::choose_qparams) {
    const ChooseQParamsArgs& a = c.choose;
    if (a.block_size) w.int_list("block_size", *a.block_size);
    w.string("dtype", dtype_name(a.dtype));
    w.integer("quant_min", a.quant_min);
    w.integer("quant_max", a.quant_max);
    w.string("zero_point_domain", domain_name(a.zero_point_domain));
    w.string("mapping", mapping_name(a.mapping));
    w.f32("eps", a.eps);
  } else {
    write_quant_params_fields(w, c.params);
  }
  return w.finish() + "\n";
}

}  // namespace qdiff
