// qconv2d on the quantized GEMM, im2col style, one GEMM per conv group:
// rows are the output pixels of every image, channels the group's output
// channels, the reduction runs over [C / groups, kh, kw]. The im2col row
// of a pixel is gathered per row block into the packing buffer (never a
// full im2col matrix). Padding: a padded input is the real value 0, i.e.
// the integer x zero point (x params are per-tensor), so it contributes
// (zx - zx) (qw - zw) = 0.
//
// Depth order: the weight-scale blocks of dims 1..3 enumerated row-major,
// each block's elements row-major inside it, so that a block spanning
// several dims (e.g. [1, 2, 2] tiles of a 3 x 3 kernel) is one contiguous
// range of the reduction, as the contract's per-block acc_g needs.
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

// Depth order and groups of a [O, Cg, kh, kw] weight's reduction dims.
DepthGroups conv_groups(const OperandLayout& w, int64_t cg, int64_t kh, int64_t kw) {
  DepthGroups g;
  g.depth = cg * kh * kw;
  const int64_t n1 = w.count[1], n2 = w.count[2], n3 = w.count[3];
  g.count = n1 * n2 * n3;
  g.start.assign(size_t(g.count) + 1, 0);
  if (g.depth == 0) return g;  // derived blocks of a zero-size dim are 0: nothing to enumerate
  const int64_t b1 = w.block[1], b2 = w.block[2], b3 = w.block[3];
  g.order.resize(size_t(g.depth));
  int64_t p = 0, group = 0;
  bool identity = true;
  for (int64_t B1 = 0; B1 < n1; ++B1) {
    for (int64_t B2 = 0; B2 < n2; ++B2) {
      for (int64_t B3 = 0; B3 < n3; ++B3) {
        g.start[size_t(group++)] = p;
        for (int64_t c = B1 * b1; c < std::min((B1 + 1) * b1, cg); ++c) {
          for (int64_t i = B2 * b2; i < std::min((B2 + 1) * b2, kh); ++i) {
            for (int64_t j = B3 * b3; j < std::min((B3 + 1) * b3, kw); ++j) {
              const int64_t column = (c * kh + i) * kw + j;
              identity = identity && column == p;
              g.order[size_t(p++)] = int32_t(column);  // depth <= the element cap < 2^31
            }
          }
        }
      }
    }
  }
  g.start[size_t(g.count)] = p;
  if (identity) g.order.clear();
  return g;
}

// The im2col rows of one conv group.
class ConvRows final : public RowSource {
 public:
  ConvRows(const QConv2dArgs& a, const QConv2dGeometry& geo, const DepthGroups& groups,
           int64_t channel_base)
      : a_(a), geo_(geo), channel_base_(channel_base) {
    const int64_t depth = groups.depth;
    c_.resize(size_t(depth));
    i_.resize(size_t(depth));
    j_.resize(size_t(depth));
    for (int64_t p = 0; p < depth; ++p) {
      const int64_t col = groups.column(p);
      j_[size_t(p)] = col % geo.kw;
      i_[size_t(p)] = col / geo.kw % geo.kh;
      c_[size_t(p)] = col / (geo.kw * geo.kh);
    }
    pad_ = a.x_params.zero_point && a.x_params.zero_point_domain == ZeroPointDomain::int_domain
               ? a.x_params.zero_point->int_at(0) : 0;
  }
  const void* direct(int64_t) const override { return nullptr; }
  int64_t param_index(int64_t) const override { return 0; }
  void gather(int64_t r, void* dst) const override {
    switch (a_.x.dtype()) {
      case DType::i8: return gather_t<int8_t>(r, dst);
      case DType::u8: return gather_t<uint8_t>(r, dst);
      case DType::i16: return gather_t<int16_t>(r, dst);
      case DType::u16: return gather_t<uint16_t>(r, dst);
      default: return;  // validated: 8- or 16-bit
    }
  }

 private:
  // Input row (or column) of kernel tap t for output position o, or -1
  // outside the image; in 128 bits (stride, padding, dilation may be near 2^63).
  static void taps(int64_t o, int64_t stride, int64_t pad, int64_t dilation, int64_t taps,
                   int64_t size, std::vector<int64_t>& out) {
    out.resize(size_t(taps));
    for (int64_t t = 0; t < taps; ++t) {
      const __int128 v = __int128(o) * stride - pad + __int128(t) * dilation;
      out[size_t(t)] = v >= 0 && v < size ? int64_t(v) : -1;
    }
  }

  template <typename X>
  void gather_t(int64_t r, void* dst_raw) const {
    thread_local std::vector<int64_t> rows_of_tap, cols_of_tap;
    const int64_t pixels = geo_.oh * geo_.ow;
    const int64_t n = r / pixels, pix = r % pixels;
    const Conv2dAttrs& at = a_.attrs;
    taps(pix / geo_.ow, at.stride[0], at.padding[0], at.dilation[0], geo_.kh, geo_.h, rows_of_tap);
    taps(pix % geo_.ow, at.stride[1], at.padding[1], at.dilation[1], geo_.kw, geo_.w, cols_of_tap);
    const X* x = a_.x.data<X>().data();
    X* dst = static_cast<X*>(dst_raw);
    const X pad = X(pad_);  // the zero point lies in x's range
    const int64_t image = (n * geo_.c + channel_base_) * geo_.h;
    for (size_t p = 0; p < c_.size(); ++p) {
      const int64_t ih = rows_of_tap[size_t(i_[p])], iw = cols_of_tap[size_t(j_[p])];
      dst[p] = ih >= 0 && iw >= 0 ? x[((image + c_[p] * geo_.h) + ih) * geo_.w + iw] : pad;
    }
  }

  const QConv2dArgs& a_;
  const QConv2dGeometry& geo_;
  int64_t channel_base_;
  int64_t pad_ = 0;
  std::vector<int64_t> c_, i_, j_;  // (c, i, j) of each depth position
};

}  // namespace

Tensor qconv2d(const QConv2dArgs& a, const ImplOptions& options) {
  const QConv2dGeometry geo = validate_qconv2d_args(a);
  const GemmKernels& kernels = select_gemm_kernels(options);
  Tensor out(a.out_params.dtype, geo.out_shape);
  if (out.numel() == 0) return out;

  const DepthGroups groups = conv_groups(geo.w_layout, geo.c_per_group, geo.kh, geo.kw);
  const OutputParams out_params =
      OutputParams::of(a.out_params, geo.o, /*per_channel=*/!geo.out_layout.per_tensor);
  const int64_t pixels = geo.oh * geo.ow;
  const size_t w_esize = dtype_size(a.w.dtype());
  const std::vector<float> bias = output_stage_bias(a.contract, a.bias, a.x_params, a.w_params);
  for (int64_t cg = 0; cg < a.attrs.groups; ++cg) {
    const ConvRows rows(a, geo, groups, cg * geo.c_per_group);
    GemmCall call;
    call.rows = geo.n * pixels;
    call.x = &rows;
    call.x_dtype = a.x.dtype();
    call.x_params = &a.x_params;
    call.x_per_tensor = true;
    call.w.data = static_cast<const char*>(a.w.raw()) +
                  cg * geo.o_per_group * groups.depth * int64_t(w_esize);
    call.w.dtype = a.w.dtype();
    call.w.row_stride = groups.depth;
    call.w.channels = geo.o_per_group;
    call.w.channel_offset = cg * geo.o_per_group;
    call.w.channel_block = std::max<int64_t>(geo.w_layout.block[0], 1);
    call.w.params = &a.w_params;
    call.groups = &groups;
    call.total_channels = geo.o;
    call.bias = bias.empty() ? nullptr : bias.data();
    call.out.data = out.raw();
    call.out.dtype = out.dtype();
    call.out.channel_stride = pixels;
    call.out.rows_per_image = pixels;
    call.out.image_stride = geo.o * pixels;
    call.out_params = &out_params;
    call.stage.activation = a.activation;
    call.stage.qmin = a.out_params.quant_min;
    call.stage.qmax = a.out_params.quant_max;
    call.stage.variant = output_variant(options.faults, a.contract.output_zero_point);
    call.faults = options.faults;
    run_gemm(call, nullptr, kernels, options);
  }
  return out;
}

}  // namespace qdiff::impl
