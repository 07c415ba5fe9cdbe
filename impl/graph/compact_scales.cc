// Compact weight scales (impl/graph/compact_scales.h).
#include "impl/graph/compact_scales.h"

#include "core/block_layout.h"
#include "core/error.h"

namespace qdiff::impl {
namespace {

// [K, cols] where row k is row k / block0 of the [rows, cols] source, as
// dtype `out` (f32 for scales, i32 for zero points).
Tensor expand_rows(const Tensor& src, int64_t rows, int64_t cols, int64_t k_count, int64_t block0, DType out) {
  Tensor t(out, Shape{k_count, cols});
  for (int64_t k = 0; k < k_count; ++k) {
    const int64_t row = rows == 1 ? 0 : k / block0;
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t from = row * cols + j, to = k * cols + j;
      if (out == DType::f32) {
        t.data<float>()[size_t(to)] = src.f32_at(from);
      } else {
        t.data<int32_t>()[size_t(to)] = int32_t(src.int_at(from));
      }
    }
  }
  return t;
}

Tensor squeezed(const Tensor& t) {
  Shape s;
  for (int64_t d : t.shape().dims()) {
    if (d != 1) s.push_back(d);
  }
  return t.reshaped(s);
}

void require_supported_domain(const QuantParams& p) {
  if (p.zero_point_domain == ZeroPointDomain::float_domain) {
    fail(ErrorKind::unsupported, "w has a float-domain zero point: integer-only lowering needs integer weights "
         "(int or none domain)");
  }
}

// The per-tensor form: scalar scale and zero point.
CompactWeightParams per_tensor(const QuantParams& p) {
  CompactWeightParams c;
  c.granularity = WeightGranularity::per_tensor;
  c.scale = Tensor::of<float>(Shape{}, {p.scale.f32_at(0)});
  if (p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain) {
    c.zero_point = Tensor::of<int32_t>(Shape{}, {int32_t(p.zero_point->int_at(0))});
  }
  return c;
}

void apply_squeeze_fault(CompactWeightParams& c, FaultSet faults) {
  if (!faults.has(FaultPoint::squeeze_compaction)) return;
  // FAULT POINT squeeze_compaction: replaces the operator-driven compact
  // shape by the scale with every size-1 dim squeezed away.
  c.scale = squeezed(c.scale);
  if (c.zero_point) c.zero_point = squeezed(*c.zero_point);
}

}  // namespace

CompactWeightParams compact_linear_weight_params(const Shape& w, const QuantParams& p, FaultSet faults) {
  require_supported_domain(p);
  if (p.scale.numel() == 1) {
    CompactWeightParams c = per_tensor(p);
    apply_squeeze_fault(c, faults);
    return c;
  }
  const BlockLayout layout = BlockLayout::derive(w, p.scale.shape(), p.block_size);
  const int64_t k_count = w[0], in = w[1];
  const int64_t rows = layout.scale_shape()[0], cols = layout.scale_shape()[1];
  const int64_t block0 = layout.block(0);
  const Tensor src = p.scale.reshaped(Shape{rows, cols});
  CompactWeightParams c;
  Tensor scale = expand_rows(src, rows, cols, k_count, block0, DType::f32);
  std::optional<Tensor> zp;
  if (p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain) {
    zp = expand_rows(p.zero_point->reshaped(Shape{rows, cols}), rows, cols, k_count, block0, DType::i32);
  }
  if (cols == 1) {
    c.granularity = WeightGranularity::per_channel;
    c.scale = scale.reshaped(Shape{k_count});
    if (zp) c.zero_point = zp->reshaped(Shape{k_count});
  } else {
    c.granularity = WeightGranularity::per_group;
    c.group_size = layout.block(1) > 0 ? layout.block(1) : in;
    c.scale = std::move(scale);
    c.zero_point = std::move(zp);
  }
  apply_squeeze_fault(c, faults);
  return c;
}

CompactWeightParams compact_conv_weight_params(const Shape& w, const QuantParams& p, FaultSet faults) {
  require_supported_domain(p);
  if (p.scale.numel() == 1) {
    CompactWeightParams c = per_tensor(p);
    apply_squeeze_fault(c, faults);
    return c;
  }
  const BlockLayout layout = BlockLayout::derive(w, p.scale.shape(), p.block_size);
  const Shape& s = layout.scale_shape();
  if (s[1] != 1 || s[2] != 1 || s[3] != 1) {
    fail(ErrorKind::unsupported, "w scale has shape {}: integer-only lowering of qconv2d takes per-tensor or "
         "per-output-channel ([O, 1, 1, 1]) weight scales", p.scale.shape().str());
  }
  const int64_t o_count = w[0], rows = s[0], block0 = layout.block(0);
  CompactWeightParams c;
  c.granularity = WeightGranularity::per_channel;
  c.scale = expand_rows(p.scale.reshaped(Shape{rows, 1}), rows, 1, o_count, block0, DType::f32)
                .reshaped(Shape{o_count});
  if (p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain) {
    c.zero_point = expand_rows(p.zero_point->reshaped(Shape{rows, 1}), rows, 1, o_count, block0, DType::i32)
                       .reshaped(Shape{o_count});
  }
  apply_squeeze_fault(c, faults);
  return c;
}

double compact_at(const Tensor& t, int64_t k, int64_t g) {
  switch (t.shape().rank()) {
    case 0: return t.value_at(0);
    case 1: return t.value_at(k);
    default: return t.value_at(k * t.shape()[1] + g);
  }
}

}  // namespace qdiff::impl
