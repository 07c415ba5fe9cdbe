// Static value types of a graph (core/graph_shapes.h).
#include "core/graph_shapes.h"

#include <limits>

#include "core/error.h"
#include "core/limits.h"

namespace qdiff {
namespace {

using Types = std::vector<std::optional<ValueType>>;

bool fits_cap(const Shape& s) {
  const std::optional<int64_t> n = s.checked_numel();
  return n && *n <= max_elements();
}

std::optional<ValueType> known(DType dtype, const Shape& shape) {
  if (!fits_cap(shape)) return std::nullopt;
  return ValueType{dtype, shape};
}

const std::optional<ValueType>& type_of(const Types& t, int id) {
  static const std::optional<ValueType> kUnknown;
  if (id < 0 || size_t(id) >= t.size()) return kUnknown;
  return t[size_t(id)];
}

bool is_f32(const std::optional<ValueType>& t) { return t && t->dtype == DType::f32; }

std::optional<ValueType> infer_node(const Graph& g, int id, const Types& t) {
  const Node& n = g.node(id);
  const auto& a = type_of(t, n.input(0));
  const auto& b = type_of(t, n.input(1));
  const int bias_id = n.input(2);
  // An optional bias must be a known f32 [K] when present.
  const auto bias_ok = [&](int64_t channels) {
    if (bias_id == kNoInput) return true;
    const auto& bt = type_of(t, bias_id);
    return is_f32(bt) && bt->shape == Shape{channels};
  };
  switch (n.kind) {
    case NodeKind::input:
    case NodeKind::constant:
      return known(n.value.dtype(), n.value.shape());
    case NodeKind::quantize:
      if (!is_f32(a) || !is_integer(n.spec.dtype)) return std::nullopt;
      if (n.spec.legacy_axis) {
        const int64_t r = a->shape.rank(), ax = *n.spec.legacy_axis;
        if (ax < -r || ax >= r) return std::nullopt;
      }
      return known(n.spec.dtype, a->shape);
    case NodeKind::dequantize:
      if (!a || !is_integer(n.spec.dtype) || a->dtype != n.spec.dtype) return std::nullopt;
      if (n.spec.legacy_axis) {
        const int64_t r = a->shape.rank(), ax = *n.spec.legacy_axis;
        if (ax < -r || ax >= r) return std::nullopt;
      }
      return known(DType::f32, a->shape);
    case NodeKind::linear: {
      if (!is_f32(a) || !is_f32(b)) return std::nullopt;
      const auto s = linear_output_shape(a->shape, b->shape);
      if (!s || !bias_ok(b->shape[0])) return std::nullopt;
      return known(DType::f32, *s);
    }
    case NodeKind::conv2d: {
      if (!is_f32(a) || !is_f32(b)) return std::nullopt;
      const auto s = conv2d_output_shape(a->shape, b->shape, n.conv);
      if (!s || !bias_ok(b->shape[0])) return std::nullopt;
      return known(DType::f32, *s);
    }
    case NodeKind::add:
    case NodeKind::mul:
      if (!is_f32(a) || !is_f32(b)) return std::nullopt;
      try {
        return known(DType::f32, broadcast_shapes(a->shape, b->shape));
      } catch (const Error&) {
        return std::nullopt;
      }
    case NodeKind::relu:
      if (!is_f32(a)) return std::nullopt;
      return a;
    case NodeKind::reshape: {
      if (!a) return std::nullopt;
      const auto count = n.target_shape.checked_numel();
      if (!count || *count != a->shape.numel()) return std::nullopt;
      return known(a->dtype, n.target_shape);
    }
    case NodeKind::qlinear:
    case NodeKind::qconv2d: {
      if (!a || !b || !is_integer(n.out_params.dtype)) return std::nullopt;
      const auto s = n.kind == NodeKind::qlinear ? linear_output_shape(a->shape, b->shape)
                                                 : conv2d_output_shape(a->shape, b->shape, n.conv);
      if (!s || !bias_ok(b->shape[0])) return std::nullopt;
      return known(n.out_params.dtype, *s);
    }
    case NodeKind::qadd:
    case NodeKind::qmul:
      if (!a || !b || !is_integer(n.out_params.dtype)) return std::nullopt;
      try {
        return known(n.out_params.dtype, broadcast_shapes(a->shape, b->shape));
      } catch (const Error&) {
        return std::nullopt;
      }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Shape> linear_output_shape(const Shape& x, const Shape& w) {
  if (x.rank() < 1 || w.rank() != 2 || x[x.rank() - 1] != w[1]) return std::nullopt;
  Shape out;
  for (int i = 0; i + 1 < x.rank(); ++i) out.push_back(x[i]);
  out.push_back(w[0]);
  return out;
}

std::optional<Shape> conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dAttrs& at) {
  if (x.rank() != 4 || w.rank() != 4 || at.groups < 1) return std::nullopt;
  if (x[1] % at.groups != 0 || w[0] % at.groups != 0 || w[1] != x[1] / at.groups) {
    return std::nullopt;
  }
  for (int i = 0; i < 2; ++i) {
    if (at.stride[i] < 1 || at.dilation[i] < 1) return std::nullopt;
  }
  for (int i = 0; i < 4; ++i) {
    if (at.padding[i] < 0) return std::nullopt;
  }
  Shape out{x[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    // 128 bits: every operand is below 2^63 (docs/validation-order.md).
    const __int128 span = __int128(x[2 + i]) + at.padding[i] + at.padding[i + 2] -
                          (__int128(at.dilation[i]) * (w[2 + i] - 1) + 1);
    if (span < 0) return std::nullopt;
    const __int128 dim = span / at.stride[i] + 1;
    if (dim > std::numeric_limits<int64_t>::max()) return std::nullopt;
    out[2 + i] = int64_t(dim);
  }
  return out;
}

std::vector<std::optional<ValueType>> infer_value_types(const Graph& g) {
  Types t(g.nodes.size());
  for (int id = 0; id < int(g.nodes.size()); ++id) {
    try {
      t[size_t(id)] = infer_node(g, id, t);
    } catch (const Error&) {
      t[size_t(id)] = std::nullopt;  // e.g. a shape that overflows
    }
  }
  return t;
}

}  // namespace qdiff
