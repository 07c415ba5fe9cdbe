// choose_qparams_affine (SPEC section 6): a vectorized min / max reduction
// per block over the same loop nest as quantize, then the reference
// formulas per block, in the same f32 operations and order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "impl/quantize/affine.h"
#include "impl/quantize/kernels.h"
#include "impl/quantize/loop_nest.h"
#include "impl/quantize/parallel.h"
#include "impl/quantize/plan.h"
#include "impl/quantize/validate.h"

namespace qdiff::impl {
namespace {

// Above this many blocks a call is not split across threads (each thread
// would need its own min / max arrays).
constexpr int64_t kMaxBlocksPerThreadCopy = int64_t{1} << 16;

[[noreturn]] void fail_first_non_finite(const Tensor& input) {
  const auto x = input.data<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      fail(ErrorKind::nan_input,
           "input element {} is {}; choose_qparams_affine needs finite inputs", i, x[i]);
    }
  }
  fail(ErrorKind::nan_input, "input has a non-finite element");
}

// The block minimum as the reference's `if (x < mn) mn = x` fold leaves it:
// the first element of the block (row-major) equal to it. Only its sign can
// differ from the SIMD minimum, and only when the minimum is zero.
float first_zero_of_block(const Tensor& input, const BlockGeometry& g, int64_t b) {
  int64_t start[kMaxRank], extent[kMaxRank], index[kMaxRank];
  for (int d = g.rank - 1; d >= 0; --d) {
    start[d] = (b % g.count[d]) * g.block[d];
    extent[d] = g.block[d];
    index[d] = 0;
    b /= g.count[d];
  }
  const auto x = input.data<float>();
  for (;;) {
    int64_t flat = 0;
    for (int d = 0; d < g.rank; ++d) flat = flat * g.size[d] + start[d] + index[d];
    if (x[size_t(flat)] == 0.0f) return x[size_t(flat)];
    int d = g.rank - 1;
    for (; d >= 0; --d) {
      if (++index[d] < extent[d]) break;
      index[d] = 0;
    }
    if (d < 0) return 0.0f;  // not reached: the caller saw a zero minimum
  }
}

// Per-block minimum and maximum, split across threads when the blocks are
// few enough to copy per thread; a non-finite input fails (validation step 6).
struct BlockMinMax {
  std::vector<float> mn, mx;
};
BlockMinMax block_min_max(const Tensor& input, const BlockGeometry& g, const KernelTable& table,
                          const ImplOptions& options) {
  const int64_t blocks = g.scale_numel;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  BlockMinMax r{std::vector<float>(size_t(blocks), kInf), std::vector<float>(size_t(blocks), -kInf)};
  if (g.numel == 0) return r;
  LoopNest nest = plan_loop_nest(g, KernelPath::blockwise, FaultSet{});
  nest.batch_rows = kRowBatchMinMax;
  int threads = thread_count(options, g.numel);
  if (blocks > kMaxBlocksPerThreadCopy) threads = 1;
  std::vector<std::vector<float>> part_mn(static_cast<size_t>(threads));
  std::vector<std::vector<float>> part_mx(static_cast<size_t>(threads));
  for (int t = 1; t < threads; ++t) {
    part_mn[size_t(t)].assign(size_t(blocks), kInf);
    part_mx[size_t(t)].assign(size_t(blocks), -kInf);
  }
  const bool bad = parallel_chunks(g.numel, threads, [&](int64_t first, int64_t last, int chunk) {
    float* cmn = chunk == 0 ? r.mn.data() : part_mn[size_t(chunk)].data();
    float* cmx = chunk == 0 ? r.mx.data() : part_mx[size_t(chunk)].data();
    return for_each_row(nest, first, last, input.raw(), sizeof(float), nullptr, 0,
                        [&](const RowTask& t) { return table.min_max(t, cmn, cmx); });
  });
  if (bad) fail_first_non_finite(input);  // validation step 6
  for (int t = 1; t < threads; ++t) {
    for (int64_t b = 0; b < blocks; ++b) {
      if (part_mn[size_t(t)][size_t(b)] < r.mn[size_t(b)]) r.mn[size_t(b)] = part_mn[size_t(t)][size_t(b)];
      if (part_mx[size_t(t)][size_t(b)] > r.mx[size_t(b)]) r.mx[size_t(b)] = part_mx[size_t(t)][size_t(b)];
    }
  }
  return r;
}

// Float zero-point domain: scale = max((max - min) / range, eps), zero_point
// = min + scale * mid, mid rounded once to f32.
void float_domain_qparams(const Tensor& input, const BlockGeometry& g, const ChooseQParamsArgs& a,
                          const BlockMinMax& m, float* scale, float* zp) {
  const int64_t qmin = a.quant_min, qmax = a.quant_max;
  const float range = float(qmax - qmin);  // int64 -> f32, rounded once
  const float mid = float(double(qmax + qmin + 1) / 2.0);
  for (int64_t b = 0; b < g.scale_numel; ++b) {
    const float s = std::max((m.mx[size_t(b)] - m.mn[size_t(b)]) / range, a.eps);
    scale[size_t(b)] = s;
    const float scaled_mid = s * mid;
    float lo = m.mn[size_t(b)];
    // lo + (-0.0) keeps lo's sign of zero, so it must be the reference's.
    if (lo == 0.0f && scaled_mid == 0.0f && std::signbit(scaled_mid)) {
      lo = first_zero_of_block(input, g, b);
    }
    zp[size_t(b)] = lo + scaled_mid;
  }
}

// The three mappings with an integer zero point (SPEC section 6).
void int_domain_qparams(const ChooseQParamsArgs& a, const BlockMinMax& m, int64_t blocks,
                        FaultSet faults, float* scale, int32_t* zp) {
  const int64_t qmin = a.quant_min, qmax = a.quant_max;
  const float range = float(qmax - qmin);  // int64 -> f32, rounded once
  const int32_t symmetric_zp = int32_t((qmax + qmin + 1) / 2);  // truncates toward 0
  // FAULT POINT choose_qparams_without_eps: replaces the symmetric mappings'
  // `scale = max(s, eps)` with `scale = s`, so an all-zero block (a pruned
  // channel) gets scale 0 and tiny blocks a scale below eps. The zero point
  // does not depend on the scale there, so nothing else changes.
  const float symmetric_floor = faults.has(FaultPoint::choose_qparams_without_eps)
                                    ? -std::numeric_limits<float>::infinity()
                                    : a.eps;
  for (int64_t b = 0; b < blocks; ++b) {
    const float min_neg = m.mn[size_t(b)] < 0.0f ? m.mn[size_t(b)] : 0.0f;
    const float max_pos = m.mx[size_t(b)] > 0.0f ? m.mx[size_t(b)] : 0.0f;
    switch (a.mapping) {
      case Mapping::symmetric: {
        const float amax = std::max(-min_neg, max_pos);
        const float half_range = float(double(qmax - qmin) / 2.0);
        scale[size_t(b)] = std::max(amax / half_range, symmetric_floor);
        zp[size_t(b)] = symmetric_zp;
        break;
      }
      case Mapping::symmetric_no_clipping_err: {
        float s = -std::numeric_limits<float>::infinity();
        if (qmin != 0) s = std::max(s, min_neg / float(qmin));
        if (qmax != 0) s = std::max(s, max_pos / float(qmax));
        scale[size_t(b)] = std::max(s, symmetric_floor);
        zp[size_t(b)] = symmetric_zp;
        break;
      }
      case Mapping::asymmetric: {
        const float s = std::max((max_pos - min_neg) / range, a.eps);
        scale[size_t(b)] = s;
        const double z = double(qmin) - double(std::nearbyint(min_neg / s));
        zp[size_t(b)] = int32_t(z < double(qmin) ? double(qmin) : z > double(qmax) ? double(qmax) : z);
        break;
      }
    }
  }
}

}  // namespace

ChosenQParams choose_qparams_affine(const Tensor& input, const ChooseQParamsArgs& a,
                                    const ImplOptions& options) {
  const KernelTable& table = select_kernels(options);
  const BlockGeometry g = validate_choose_qparams(input, a);
  Shape out_shape;
  for (int d = 0; d < g.rank; ++d) out_shape.push_back(g.count[d]);
  const BlockMinMax m = block_min_max(input, g, table, options);

  ChosenQParams out{Tensor(DType::f32, out_shape), std::nullopt};
  float* const scale = out.scale.data<float>().data();
  if (a.zero_point_domain == ZeroPointDomain::float_domain) {
    out.zero_point = Tensor(DType::f32, out_shape);
    float_domain_qparams(input, g, a, m, scale, out.zero_point->data<float>().data());
    return out;
  }
  out.zero_point = Tensor(DType::i32, out_shape);
  int_domain_qparams(a, m, g.scale_numel, options.faults, scale,
                     out.zero_point->data<int32_t>().data());
  if (a.zero_point_domain == ZeroPointDomain::none) out.zero_point.reset();
  return out;
}

}  // namespace qdiff::impl
