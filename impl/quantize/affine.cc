// Entry points of the optimized quant core (impl/quantize/affine.h):
// validate, plan, run the loop nest over the chosen kernel table, then
// report NaN (quantize family) after all other checks passed.
#include "impl/quantize/affine.h"

#include <cmath>

#include "core/error.h"
#include "impl/quantize/kernels.h"
#include "impl/quantize/loop_nest.h"
#include "impl/quantize/parallel.h"
#include "impl/quantize/plan.h"
#include "impl/quantize/validate.h"

namespace qdiff::impl {
namespace {

constexpr int64_t kStreamingBytes = int64_t{32} << 20;  // about the L3 of one Zen 4 CCD
// Scale element count up to which a thread keeps its column buffers
// (at most 16 bytes per element: 64 MiB).
constexpr int64_t kReusedColumnElements = int64_t{1} << 22;

QuantOutput quant_output(DType d) {
  switch (d) {
    case DType::i8: return QuantOutput::i8;
    case DType::u8: return QuantOutput::u8;
    case DType::i16: return QuantOutput::i16;
    case DType::u16: return QuantOutput::u16;
    case DType::i32: return QuantOutput::i32;
    case DType::f32: break;
  }
  return QuantOutput::f32;
}

[[noreturn]] void fail_first_nan(const Tensor& input) {
  const auto x = input.data<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) fail(ErrorKind::nan_input, "input element {} is NaN", i);
  }
  fail(ErrorKind::nan_input, "input has a NaN element");
}

void check_output(const Tensor& output, DType dtype, const Shape& shape) {
  if (output.dtype() != dtype || output.shape() != shape) {
    fail(ErrorKind::invalid_shape, "output is {} {}, expected {} {}", dtype_name(output.dtype()),
         output.shape().str(), dtype_name(dtype), shape.str());
  }
}

// Runs a validated quantize-family or dequantize call into `output`.
void run(AffineCall call, const Tensor& input, const QuantParams& p, Contract contract,
         const BlockGeometry& g, const KernelTable& table, const ImplOptions& options,
         Tensor& output) {
  if (g.numel == 0) return;
  const KernelPath path = kernel_path_of(g);
  LoopNest nest = plan_loop_nest(g, path, options.faults);
  const QuantizeConfig config = plan_quantize_config(p, contract, options.faults);
  KernelConsts consts = plan_consts(p, options.faults);
  // An output much larger than the caches is written with non-temporal
  // stores: no read-for-ownership of lines that are overwritten whole.
  consts.stream_stores = g.numel * int64_t(dtype_size(output.dtype())) >= kStreamingBytes;
  nest.batch_rows = call == AffineCall::dequantize
                        ? row_batch_dequantize(nest.row.size)
                        : row_batch_quantize(nest.row.size);
  // The columns of a call are rebuilt every call; their buffers are kept
  // per thread (up to a bound), so a repeated call does not page-fault
  // fresh multi-megabyte allocations in.
  thread_local ScaleColumnStorage reused;
  ScaleColumnStorage fresh;
  ScaleColumnStorage& columns = p.scale.numel() <= kReusedColumnElements ? reused : fresh;
  build_scale_columns(p, call, config, options.faults, table, columns);

  RowKernel kernel = nullptr;
  if (call == AffineCall::dequantize) {
    kernel = table.dequantize[storage_index(p.dtype)][int(plan_dequant_mode(p))];
  } else {
    const QuantOutput o = call == AffineCall::fake_quantize ? QuantOutput::f32 : quant_output(p.dtype);
    kernel = table.quantize[int(o)][quantize_config_index(config)];
  }
  if (kernel == nullptr) {
    fail(ErrorKind::unsupported, "no kernel for this configuration");  // not reachable
  }
  const size_t in_bytes = dtype_size(input.dtype()), out_bytes = dtype_size(output.dtype());
  const bool saw_nan = parallel_chunks(
      g.numel, thread_count(options, g.numel), [&](int64_t first, int64_t last, int) {
        const bool nan =
            for_each_row(nest, first, last, input.raw(), in_bytes, output.raw(), out_bytes,
                         [&](const RowTask& t) { return kernel(t, columns.columns, consts); });
        if (consts.stream_stores) store_fence();
        return nan;
      });
  if (saw_nan) fail_first_nan(input);  // SPEC 4: NaN is an error (validation step 7)
}

}  // namespace

std::string_view kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::empty: return "empty";
    case KernelPath::per_tensor: return "per_tensor";
    case KernelPath::per_channel_inner: return "per_channel_inner";
    case KernelPath::per_channel_outer: return "per_channel_outer";
    case KernelPath::per_channel_middle: return "per_channel_middle";
    case KernelPath::per_group_last: return "per_group_last";
    case KernelPath::blockwise: return "blockwise";
  }
  return "?";
}

KernelPath plan_kernel_path(const Shape& input, const QuantParams& params) {
  return kernel_path_of(validate_affine(AffineCall::quantize, std::nullopt, input, params, {}));
}

void quantize_affine_into(const Tensor& input, const QuantParams& params, Contract contract,
                          Tensor& output, const ImplOptions& options) {
  const KernelTable& table = select_kernels(options);
  const BlockGeometry g =
      validate_affine(AffineCall::quantize, input.dtype(), input.shape(), params, options.faults);
  check_output(output, params.dtype, input.shape());
  run(AffineCall::quantize, input, params, contract, g, table, options, output);
}

void dequantize_affine_into(const Tensor& input, const QuantParams& params, Contract contract,
                            Tensor& output, const ImplOptions& options) {
  const KernelTable& table = select_kernels(options);
  const BlockGeometry g =
      validate_affine(AffineCall::dequantize, input.dtype(), input.shape(), params, options.faults);
  check_output(output, DType::f32, input.shape());
  run(AffineCall::dequantize, input, params, contract, g, table, options, output);
}

Tensor quantize_affine(const Tensor& input, const QuantParams& params, Contract contract,
                       const ImplOptions& options) {
  const KernelTable& table = select_kernels(options);
  const BlockGeometry g =
      validate_affine(AffineCall::quantize, input.dtype(), input.shape(), params, options.faults);
  Tensor output(params.dtype, input.shape());
  run(AffineCall::quantize, input, params, contract, g, table, options, output);
  return output;
}

Tensor dequantize_affine(const Tensor& input, const QuantParams& params, Contract contract,
                         const ImplOptions& options) {
  const KernelTable& table = select_kernels(options);
  const BlockGeometry g =
      validate_affine(AffineCall::dequantize, input.dtype(), input.shape(), params, options.faults);
  Tensor output(DType::f32, input.shape());
  run(AffineCall::dequantize, input, params, contract, g, table, options, output);
  return output;
}

Tensor fake_quantize_affine(const Tensor& input, const QuantParams& params, Contract contract,
                            const ImplOptions& options) {
  const KernelTable& table = select_kernels(options);
  const BlockGeometry g = validate_affine(AffineCall::fake_quantize, input.dtype(), input.shape(),
                                          params, options.faults);
  Tensor output(DType::f32, input.shape());
  run(AffineCall::fake_quantize, input, params, contract, g, table, options, output);
  return output;
}

}  // namespace qdiff::impl
