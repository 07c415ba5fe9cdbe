#include "cases/case.h"

#include <fmt/format.h>

#include "cases/affine_case_json.h"
#include "cases/case_file.h"
#include "cases/case_header.h"
#include "cases/f32_text.h"
#include "cases/json_document.h"
#include "cases/json_fields.h"
#include "cases/json_writer.h"
#include "cases/op_attrs_json.h"
#include "cases/params_json.h"
#include "cases/tensor_json.h"

namespace qdiff {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

// ---- reading ---------------------------------------------------------------
// The parser rejects only what the argument structs cannot hold (wrong JSON
// types, missing required fields, arrays of the wrong length, the element
// cap); every semantic defect (negative stride, mismatched shapes, a bias of
// the wrong dtype, lo > hi) is left to the op's validation, so that a case
// meant to fail can be stored.

Tensor read_required_tensor(const JsonObjectReader& root, std::string_view key) {
  return read_tensor(root.doc(), root.require(key), root.path_of(key));
}

std::optional<Tensor> read_optional_tensor(const JsonObjectReader& root, std::string_view key) {
  const JsonNode* n = root.find(key);
  if (!n) return std::nullopt;
  return read_tensor(root.doc(), *n, root.path_of(key));
}

QLinearCase read_qlinear(const JsonObjectReader& root) {
  QLinearCase c;
  QLinearArgs& a = c.args;
  a.x = read_required_tensor(root, "x");
  a.x_params = read_quant_params_member(root, "x_params");
  a.w = read_required_tensor(root, "w");
  a.w_params = read_quant_params_member(root, "w_params");
  a.bias = read_optional_tensor(root, "bias");
  a.out_params = read_quant_params_member(root, "out_params");
  a.activation = read_activation(root);
  a.contract = read_qlinear_contract(root);
  return c;
}

QConv2dCase read_qconv2d(const JsonObjectReader& root) {
  QConv2dCase c;
  QConv2dArgs& a = c.args;
  a.x = read_required_tensor(root, "x");
  a.x_params = read_quant_params_member(root, "x_params");
  a.w = read_required_tensor(root, "w");
  a.w_params = read_quant_params_member(root, "w_params");
  a.bias = read_optional_tensor(root, "bias");
  a.out_params = read_quant_params_member(root, "out_params");
  a.attrs = read_conv2d_attrs(root);
  a.activation = read_activation(root);
  a.contract = read_qlinear_contract(root);
  return c;
}

QElementwiseCase read_elementwise(const JsonObjectReader& root, ElementwiseOp op) {
  QElementwiseCase c;
  QElementwiseArgs& a = c.args;
  a.op = op;
  a.a = read_required_tensor(root, "a");
  a.a_params = read_quant_params_member(root, "a_params");
  a.b = read_required_tensor(root, "b");
  a.b_params = read_quant_params_member(root, "b_params");
  a.out_params = read_quant_params_member(root, "out_params");
  a.activation = read_activation(root);
  return c;
}

// ---- writing ---------------------------------------------------------------
// Every attribute is written explicitly (qconv2d always writes stride, the
// 4-entry padding, dilation and groups); the activation only when it is not
// none, on one line (cases/op_attrs_json.h).

std::string write_fused(std::string_view op, const auto& write_body) {
  ObjectWriter w(0);
  write_header(w, kCaseFormat);
  w.string("op", op);
  write_body(w);
  return w.finish() + "\n";
}

std::string write_qlinear(const QLinearArgs& a) {
  return write_fused("qlinear", [&](ObjectWriter& w) {
    w.tensor("x", a.x);
    write_quant_params_member(w, "x_params", a.x_params);
    w.tensor("w", a.w);
    write_quant_params_member(w, "w_params", a.w_params);
    if (a.bias) w.tensor("bias", *a.bias);
    write_quant_params_member(w, "out_params", a.out_params);
    write_activation(w, a.activation);
    write_qlinear_contract(w, a.contract);
  });
}

std::string write_qconv2d(const QConv2dArgs& a) {
  return write_fused("qconv2d", [&](ObjectWriter& w) {
    w.tensor("x", a.x);
    write_quant_params_member(w, "x_params", a.x_params);
    w.tensor("w", a.w);
    write_quant_params_member(w, "w_params", a.w_params);
    if (a.bias) w.tensor("bias", *a.bias);
    write_quant_params_member(w, "out_params", a.out_params);
    write_conv2d_attrs(w, a.attrs);
    write_activation(w, a.activation);
    write_qlinear_contract(w, a.contract);
  });
}

std::string write_elementwise(const QElementwiseArgs& a) {
  return write_fused(elementwise_op_name(a.op), [&](ObjectWriter& w) {
    w.tensor("a", a.a);
    write_quant_params_member(w, "a_params", a.a_params);
    w.tensor("b", a.b);
    write_quant_params_member(w, "b_params", a.b_params);
    write_quant_params_member(w, "out_params", a.out_params);
    write_activation(w, a.activation);
  });
}

}  // namespace

std::string case_op_name(const Case& c) {
  return std::visit(Overloaded{
                        [](const AffineCase& a) { return std::string(affine_op_name(a.op)); },
                        [](const QLinearCase&) { return std::string("qlinear"); },
                        [](const QConv2dCase&) { return std::string("qconv2d"); },
                        [](const QElementwiseCase& e) {
                          return std::string(elementwise_op_name(e.args.op));
                        },
                        [](const GraphCase&) { return std::string(kGraphOpName); },
                    },
                    c);
}

Case parse_case(std::string_view json_text) {
  const JsonDocument doc = JsonDocument::parse(json_text);
  const JsonObjectReader root(doc, doc.root(), "");
  check_header(root, kCaseFormat);
  const std::string_view name = read_op_name(root);
  if (const auto op = parse_affine_op(name)) return read_affine_case_fields(root, *op);
  if (name == "qlinear") return read_qlinear(root);
  if (name == "qconv2d") return read_qconv2d(root);
  if (name == "qadd") return read_elementwise(root, ElementwiseOp::add);
  if (name == "qmul") return read_elementwise(root, ElementwiseOp::mul);
  if (name == kGraphOpName) return read_graph_case_fields(root);
  unknown_op_error(name);
}

std::string write_case(const Case& c) {
  return std::visit(Overloaded{
                        [](const AffineCase& a) { return write_affine_case(a); },
                        [](const QLinearCase& q) { return write_qlinear(q.args); },
                        [](const QConv2dCase& q) { return write_qconv2d(q.args); },
                        [](const QElementwiseCase& q) { return write_elementwise(q.args); },
                        [](const GraphCase& g) { return write_graph_case(g); },
                    },
                    c);
}

CaseFile parse_case_file(std::string_view json_text) {
  CaseFile f{parse_case(json_text), {}};
  const JsonDocument doc = JsonDocument::parse(json_text);
  const JsonObjectReader root(doc, doc.root(), "");
  if (const JsonNode* n = root.find("property")) f.property = std::string(read_string(doc, *n, "property"));
  return f;
}

std::string write_case_file(const CaseFile& f) {
  std::string text = write_case(f.c);
  if (f.property.empty()) return text;
  // The writer's output starts with "{" and a newline; the property goes
  // first so a reader sees at once which law failed.
  std::string line = "\n  \"property\": ";
  append_json_string(line, f.property);
  line += ",";
  return text.insert(1, line);
}

}  // namespace qdiff
