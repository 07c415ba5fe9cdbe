#include "cases/fused_case.h"

#include <fmt/format.h>

#include "cases/affine_case_json.h"
#include "cases/case_file.h"
#include "cases/case_header.h"
#include "cases/f32_text.h"
#include "cases/json_document.h"
#include "cases/json_fields.h"
#include "cases/json_writer.h"
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

// {"kind": "none" | "relu" | "clamp", "lo": F32, "hi": F32}; lo and hi are
// required for clamp and ignored otherwise. Absent means none.
Activation read_activation(const JsonObjectReader& root) {
  const JsonNode* n = root.find("activation");
  if (!n) return {};
  const JsonObjectReader obj(root.doc(), *n, root.path_of("activation"));
  const std::string_view name = obj.required_string("kind");
  const auto kind = parse_activation(name);
  if (!kind) {
    field_error(obj.path_of("kind"), "must be none, relu or clamp, got {}", quoted_excerpt(name));
  }
  Activation a;
  a.kind = *kind;
  if (a.kind == ActivationKind::clamp) {
    a.lo = read_f32(root.doc(), obj.require("lo"), obj.path_of("lo"));
    a.hi = read_f32(root.doc(), obj.require("hi"), obj.path_of("hi"));
  }
  return a;
}

// An optional array of exactly N int64 values (any sign: the op checks them).
template <size_t N>
std::array<int64_t, N> read_int_array(const JsonObjectReader& root, std::string_view key,
                                      std::array<int64_t, N> fallback, const char* form) {
  const JsonNode* n = root.find(key);
  if (!n) return fallback;
  const std::string path = root.path_of(key);
  const std::vector<int64_t> v = read_int64_array(root.doc(), *n, path);
  if (v.size() != N) field_error(path, "must have {} entries {}, got {}", N, form, v.size());
  std::array<int64_t, N> out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

// [top, left, bottom, right], or [ph, pw] meaning [ph, pw, ph, pw].
std::array<int64_t, 4> read_padding(const JsonObjectReader& root) {
  const JsonNode* n = root.find("padding");
  if (!n) return {0, 0, 0, 0};
  const std::string path = root.path_of("padding");
  const std::vector<int64_t> v = read_int64_array(root.doc(), *n, path);
  if (v.size() == 2) return {v[0], v[1], v[0], v[1]};
  if (v.size() == 4) return {v[0], v[1], v[2], v[3]};
  field_error(path, "must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got {}",
              v.size());
}

Conv2dAttrs read_conv2d_attrs(const JsonObjectReader& root) {
  Conv2dAttrs a;
  a.stride = read_int_array<2>(root, "stride", a.stride, "[sh, sw]");
  a.padding = read_padding(root);
  a.dilation = read_int_array<2>(root, "dilation", a.dilation, "[dh, dw]");
  if (const JsonNode* g = root.find("groups")) a.groups = read_int64(*g, root.path_of("groups"));
  return a;
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
// none, on one line.

void write_activation(ObjectWriter& w, const Activation& a) {
  if (a.kind == ActivationKind::none) return;
  std::string& out = w.member("activation");
  out += "{\"kind\": ";
  append_json_string(out, activation_name(a.kind));
  if (a.kind == ActivationKind::clamp) {
    out += ", \"lo\": ";
    append_f32_json(out, a.lo);
    out += ", \"hi\": ";
    append_f32_json(out, a.hi);
  }
  out += "}";
}

std::vector<int64_t> as_vector(std::span<const int64_t> v) { return {v.begin(), v.end()}; }

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
    w.int_list("stride", as_vector(a.attrs.stride));
    w.int_list("padding", as_vector(a.attrs.padding));
    w.int_list("dilation", as_vector(a.attrs.dilation));
    w.integer("groups", a.attrs.groups);
    write_activation(w, a.activation);
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
  unknown_op_error(name);
}

std::string write_case(const Case& c) {
  return std::visit(Overloaded{
                        [](const AffineCase& a) { return write_affine_case(a); },
                        [](const QLinearCase& q) { return write_qlinear(q.args); },
                        [](const QConv2dCase& q) { return write_qconv2d(q.args); },
                        [](const QElementwiseCase& q) { return write_elementwise(q.args); },
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
