// Optimized quantize / dequantize / choose_qparams / fake_quantize: the
// implementation under test. Same semantics as reference/ (SPEC sections
// 3-7), bit-exact under every contract and layout, same error kinds in the
// same validation order (docs/validation-order.md). Never calls reference/.
#pragma once

#include "core/contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/options.h"

namespace qdiff::impl {

Tensor quantize_affine(const Tensor& input, const QuantParams& params,
                       Contract contract = Contract::torchao,
                       const ImplOptions& options = {});
Tensor dequantize_affine(const Tensor& input, const QuantParams& params,
                         Contract contract = Contract::torchao,
                         const ImplOptions& options = {});
ChosenQParams choose_qparams_affine(const Tensor& input, const ChooseQParamsArgs& args,
                                    const ImplOptions& options = {});
Tensor fake_quantize_affine(const Tensor& input, const QuantParams& params,
                            Contract contract = Contract::torchao,
                            const ImplOptions& options = {});

// Variants writing into a caller-allocated output of the right dtype and
// shape (benchmarks reuse one buffer; throws invalid_shape on mismatch).
void quantize_affine_into(const Tensor& input, const QuantParams& params,
                          Contract contract, Tensor& output,
                          const ImplOptions& options = {});
void dequantize_affine_into(const Tensor& input, const QuantParams& params,
                            Contract contract, Tensor& output,
                            const ImplOptions& options = {});

// Which specialized loop a call with these shapes takes (after validation;
// throws like the ops do). Reported by the harness and checked against
// BlockLayout's classification.
enum class KernelPath {
  empty,               // zero elements
  per_tensor,          // one scale for everything
  per_channel_inner,   // scale varies along the innermost dim only
  per_channel_outer,   // scale varies along the outermost dim only
  per_channel_middle,  // scale varies along one middle dim only
  per_group_last,      // [.., C, In] with blocks (1, g) over the last two dims
  blockwise,           // everything else: tiled general path
};
std::string_view kernel_path_name(KernelPath path);
KernelPath plan_kernel_path(const Shape& input, const QuantParams& params);

}  // namespace qdiff::impl
