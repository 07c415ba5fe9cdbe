// AffineCase: one scenario of the quant core (quantize, dequantize,
// choose_qparams, fake_quantize). Printable, and serializable to the case
// file of SPEC section 11 (cases/case_file.h).
#pragma once

#include <string>
#include <string_view>
#include <optional>

#include "core/contract.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff {

enum class AffineOpKind { quantize, dequantize, choose_qparams, fake_quantize };
inline constexpr AffineOpKind kAllAffineOps[] = {
    AffineOpKind::quantize, AffineOpKind::dequantize, AffineOpKind::choose_qparams,
    AffineOpKind::fake_quantize};

// "quantize_affine", "dequantize_affine", ... (the case file's "op").
std::string_view affine_op_name(AffineOpKind op);
std::optional<AffineOpKind> parse_affine_op(std::string_view name);

struct AffineCase {
  AffineOpKind op = AffineOpKind::quantize;
  Contract contract = Contract::torchao;
  Tensor input;                 // f32, or the quantized values for dequantize
  QuantParams params;           // quantize, dequantize, fake_quantize
  ChooseQParamsArgs choose;     // choose_qparams only

  // One line: op, contract, input, params (or choose args), layout, e.g.
  // "quantize_affine torchao input f32 [2, 4] | scale [2, 1] zp [2, 1] i8
  //  [-128, 127] int | per_channel axis 0, block [1, 4], scale [2, 1]";
  // "invalid layout: <why>" when the shapes do not fit.
  std::string summary() const;
};

}  // namespace qdiff
