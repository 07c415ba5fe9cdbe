// The accumulation contract of qlinear and qconv2d (they share the
// accumulation path): the two choices real engines make differently in the
// epilogue of an integer dot product, named so that a difference is checked
// exactly instead of hidden inside a tolerance (SPEC section 8 is the
// default; docs/case-file-format.md, "qlinear_contract").
//
// | field             | value                 | meaning                                  | who does this |
// | bias              | `float` (default)     | y = sum + bias, bias real (f32)          | SPEC section 8 |
// |                   | `int32_acc`           | bias quantized to int32 on the accumulator grid, then added to the accumulator: | PyTorch qnnpack / fbgemm (quantize_per_tensor / _per_channel of the bias to kQInt32) |
// |                   |                       | bq[k] = clamp(rne(f32(b[k] * f32(1 / f32(s_x * s_w[k])))), -2^31, 2^31 - 1), |               |
// |                   |                       | y = sum + bq[k] * s_x * s_w[k] (real)    |               |
// | output_zero_point | `after_rounding` (default) | q = clamp(rne(y / s_out) + z_out) | SPEC section 8, qnnpack's magic-number requantization |
// |                   | `before_rounding`     | q = clamp(rne(f32(y / s_out + f32(z_out)))) | oneDNN (dst zero point added in f32 before the conversion) |
//
// int32_acc is the torchao quantize contract (SPEC section 3) applied to the
// bias with scale f32(s_x * s_w[k]) (the product exact, then rounded once
// to f32), no zero point and the int32 range. It needs one accumulator
// scale per output channel: with a bias, x params per-tensor, w params
// per-tensor or per-channel on dim 0, neither in the float zero-point
// domain (docs/validation-order.md, step 6), and f32(s_x * s_w[k]) a valid
// scale (step 7). Without a bias it is the default.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qdiff {

enum class BiasGrid { float_bias, int32_acc };
enum class OutputZeroPoint { after_rounding, before_rounding };

struct QLinearContract {
  BiasGrid bias = BiasGrid::float_bias;
  OutputZeroPoint output_zero_point = OutputZeroPoint::after_rounding;
  bool operator==(const QLinearContract&) const = default;
  bool is_default() const { return *this == QLinearContract{}; }
};

inline constexpr BiasGrid kAllBiasGrids[] = {BiasGrid::float_bias, BiasGrid::int32_acc};
inline constexpr OutputZeroPoint kAllOutputZeroPoints[] = {OutputZeroPoint::after_rounding,
                                                           OutputZeroPoint::before_rounding};

std::string_view bias_grid_name(BiasGrid g);  // "float", "int32_acc"
std::optional<BiasGrid> parse_bias_grid(std::string_view name);
std::string_view output_zero_point_name(OutputZeroPoint z);  // "after_rounding", "before_rounding"
std::optional<OutputZeroPoint> parse_output_zero_point(std::string_view name);
// "bias float, zero point after rounding": for summaries and reports.
std::string describe(const QLinearContract& c);

}  // namespace qdiff
