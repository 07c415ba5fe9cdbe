#include "cases/op_attrs_json.h"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "cases/f32_text.h"

namespace qdiff {
namespace {

// An optional array of exactly N int64 values (any sign: the op checks them).
template <size_t N>
std::array<int64_t, N> read_int_array(const JsonObjectReader& obj, std::string_view key,
                                      std::array<int64_t, N> fallback, const char* form) {
  const JsonNode* n = obj.find(key);
  if (!n) return fallback;
  const std::string path = obj.path_of(key);
  const std::vector<int64_t> v = read_int64_array(obj.doc(), *n, path);
  if (v.size() != N) field_error(path, "must have {} entries {}, got {}", N, form, v.size());
  std::array<int64_t, N> out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

// [top, left, bottom, right], or [ph, pw] meaning [ph, pw, ph, pw].
std::array<int64_t, 4> read_padding(const JsonObjectReader& obj) {
  const JsonNode* n = obj.find("padding");
  if (!n) return {0, 0, 0, 0};
  const std::string path = obj.path_of("padding");
  const std::vector<int64_t> v = read_int64_array(obj.doc(), *n, path);
  if (v.size() == 2) return {v[0], v[1], v[0], v[1]};
  if (v.size() == 4) return {v[0], v[1], v[2], v[3]};
  field_error(path, "must have 4 entries [top, left, bottom, right] or 2 [ph, pw], got {}",
              v.size());
}

std::vector<int64_t> as_vector(std::span<const int64_t> v) { return {v.begin(), v.end()}; }

}  // namespace

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

QLinearContract read_qlinear_contract(const JsonObjectReader& root) {
  const JsonNode* n = root.find("qlinear_contract");
  if (!n) return {};
  const JsonObjectReader obj(root.doc(), *n, root.path_of("qlinear_contract"));
  QLinearContract c;
  if (const JsonNode* b = obj.find("bias")) {
    const std::string_view name = read_string(root.doc(), *b, obj.path_of("bias"));
    const auto grid = parse_bias_grid(name);
    if (!grid) field_error(obj.path_of("bias"), "must be float or int32_acc, got {}", quoted_excerpt(name));
    c.bias = *grid;
  }
  if (const JsonNode* z = obj.find("output_zero_point")) {
    const std::string_view name = read_string(root.doc(), *z, obj.path_of("output_zero_point"));
    const auto placement = parse_output_zero_point(name);
    if (!placement) {
      field_error(obj.path_of("output_zero_point"), "must be after_rounding or before_rounding, got {}",
                  quoted_excerpt(name));
    }
    c.output_zero_point = *placement;
  }
  return c;
}

void write_qlinear_contract(ObjectWriter& w, const QLinearContract& c) {
  if (c.is_default()) return;
  std::string& out = w.member("qlinear_contract");
  out += "{\"bias\": ";
  append_json_string(out, bias_grid_name(c.bias));
  out += ", \"output_zero_point\": ";
  append_json_string(out, output_zero_point_name(c.output_zero_point));
  out += "}";
}

Conv2dAttrs read_conv2d_attrs(const JsonObjectReader& obj) {
  Conv2dAttrs a;
  a.stride = read_int_array<2>(obj, "stride", a.stride, "[sh, sw]");
  a.padding = read_padding(obj);
  a.dilation = read_int_array<2>(obj, "dilation", a.dilation, "[dh, dw]");
  if (const JsonNode* g = obj.find("groups")) a.groups = read_int64(*g, obj.path_of("groups"));
  return a;
}

void write_conv2d_attrs(ObjectWriter& w, const Conv2dAttrs& a) {
  w.int_list("stride", as_vector(a.stride));
  w.int_list("padding", as_vector(a.padding));
  w.int_list("dilation", as_vector(a.dilation));
  w.integer("groups", a.groups);
}

}  // namespace qdiff
