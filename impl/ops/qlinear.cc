// qlinear on the quantized GEMM: rows are x's flattened leading dims, read
// in place (the natural column order is already depth order: the weight
// blocks along In are contiguous), channels are w's rows, groups are the
// weight-scale blocks along In.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "impl/ops/bias_grid.h"
#include "impl/ops/fused_ops.h"
#include "impl/ops/fused_validate.h"
#include "impl/ops/gemm.h"
#include "impl/ops/gemm_driver.h"

namespace qdiff::impl {
namespace {

class LinearRows final : public RowSource {
 public:
  LinearRows(const Tensor& x, const OperandLayout& layout, int64_t in)
      : data_(static_cast<const char*>(x.raw())), row_bytes_(in * int64_t(dtype_size(x.dtype()))),
        layout_(layout) {}
  const void* direct(int64_t r) const override { return data_ + r * row_bytes_; }
  void gather(int64_t, void*) const override {}  // never called: every row is direct
  // Per-row params: the scale index of row r's leading index (block 1 on
  // every leading dim of size >= 2, so usually r itself).
  int64_t param_index(int64_t r) const override {
    if (layout_.per_tensor) return 0;
    int64_t index[kMaxRank] = {};
    for (int d = layout_.rank - 2; d >= 0; --d) {
      index[d] = r % layout_.size[d];
      r /= layout_.size[d];
    }
    return layout_.scale_index(index);  // the last dim's coordinate is 0
  }

 private:
  const char* data_;
  int64_t row_bytes_;
  const OperandLayout& layout_;
};

// Groups along In: block b of the weight's dim 1 (the last may be partial).
DepthGroups linear_groups(const OperandLayout& w, int64_t in) {
  DepthGroups g;
  g.depth = in;
  g.count = w.count[1];
  g.start.resize(size_t(g.count) + 1);
  for (int64_t i = 0; i < g.count; ++i) g.start[size_t(i)] = std::min(i * w.block[1], in);
  g.start[size_t(g.count)] = in;
  return g;
}

WeightMatrix linear_weights(const QLinearArgs& a, const QLinearGeometry& geo) {
  WeightMatrix w;
  w.data = a.w.raw();
  w.dtype = a.w.dtype();
  w.row_stride = geo.in;
  w.channels = geo.k;
  w.channel_block = std::max<int64_t>(geo.w_layout.block[0], 1);
  w.params = &a.w_params;
  return w;
}

Tensor run_qlinear(const QLinearArgs& a, const PackedLinearWeights* weights,
                   const ImplOptions& options) {
  const QLinearGeometry geo = validate_qlinear_args(a);
  const GemmKernels& kernels = select_gemm_kernels(options);
  Tensor out(a.out_params.dtype, geo.out_shape);
  if (out.numel() == 0) return out;

  const DepthGroups groups = linear_groups(geo.w_layout, geo.in);
  const PackedWeights* packed = nullptr;
  if (weights) {
    if (weights->channels() != geo.k || weights->depth() != geo.in ||
        (weights->packed() && (weights->packed()->groups != groups.count ||
                               weights->packed()->w_dtype != a.w.dtype()))) {
      fail(ErrorKind::unsupported, "packed weights ({} channels, depth {}) were not packed "
           "from this w (shape {})", weights->channels(), weights->depth(), a.w.shape().str());
    }
    packed = weights->packed();
  }
  const LinearRows rows(a.x, geo.x_layout, geo.in);
  const std::vector<float> bias = output_stage_bias(a.contract, a.bias, a.x_params, a.w_params);
  const OutputParams out_params =
      OutputParams::of(a.out_params, geo.k, /*per_channel=*/!geo.out_layout.per_tensor);
  GemmCall call;
  call.rows = geo.rows;
  call.x = &rows;
  call.x_dtype = a.x.dtype();
  call.x_params = &a.x_params;
  call.x_per_tensor = geo.x_layout.per_tensor;
  call.w = linear_weights(a, geo);
  call.groups = &groups;
  call.total_channels = geo.k;
  call.bias = bias.empty() ? nullptr : bias.data();
  call.out.data = out.raw();
  call.out.dtype = out.dtype();
  call.out.channel_stride = 1;
  call.out.rows_per_image = 1;
  call.out.image_stride = geo.k;
  call.out_params = &out_params;
  call.stage.activation = a.activation;
  call.stage.qmin = a.out_params.quant_min;
  call.stage.qmax = a.out_params.quant_max;
  call.stage.variant = output_variant(options.faults, a.contract.output_zero_point);
  call.faults = options.faults;
  run_gemm(call, packed, kernels, options);
  return out;
}

}  // namespace

Tensor qlinear(const QLinearArgs& args, const ImplOptions& options) {
  return run_qlinear(args, nullptr, options);
}

Tensor qlinear(const QLinearArgs& args, const PackedLinearWeights& weights,
               const ImplOptions& options) {
  return run_qlinear(args, &weights, options);
}

PackedLinearWeights PackedLinearWeights::pack(const QLinearArgs& a) {
  const QLinearGeometry geo = validate_qlinear_args(a);
  PackedLinearWeights p;
  p.channels_ = geo.k;
  p.depth_ = geo.in;
  if (geo.k == 0 || geo.in == 0 || !packable_weights(a.w_params)) return p;
  const DepthGroups groups = linear_groups(geo.w_layout, geo.in);
  p.packed_ = std::make_shared<const PackedWeights>(pack_weights(linear_weights(a, geo), groups));
  return p;
}

int64_t PackedLinearWeights::extra_bytes() const {
  return packed_ ? packed_->extra_bytes() : 0;
}

}  // namespace qdiff::impl
